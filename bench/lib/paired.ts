// Side-by-side comparison: every subject runs at once; each round gives each of them one
// short burst, in a shuffled order, and a comparison's value is computed within the round.
// The median of those paired values (with its IQR) survives the ±30% drift of a shared
// machine that a single A-then-B run does not.
import { readFileSync } from 'node:fs';
import { burst, type BurstResult } from './load.ts';
import { shuffled, summarise, type Summary } from './stats.ts';
import type { Subject } from './subjects.ts';

export interface Comparison {
  label: string;
  /** Subject names: the baseline and the candidate. */
  a: string;
  b: string;
}

export interface PairedOptions {
  subjects: Subject[];
  comparisons: Comparison[];
  rounds: number;
  burstSeconds: number;
  warmupSeconds: number;
  connections?: number;
  onRound?: (round: number) => void;
}

export interface PairedResult {
  label: string;
  a: string;
  b: string;
  /** b's throughput / a's, per round. */
  throughput: Summary;
  /** Added time per request in µs (1/rps_b - 1/rps_a), per round: the per-request CPU cost when the server is saturated. */
  addedMicros: Summary;
  /** Server main-thread CPU µs per request, b minus a, per round: the cost of the extra work itself, less sensitive than throughput to what else runs on the machine. */
  addedCpuMicros: Summary;
  /** b's p99 latency / a's, per round (millisecond resolution). */
  p99: Summary;
  /** Median absolute requests/s and CPU µs per request of each side, for scale. */
  rpsA: number;
  rpsB: number;
  cpuA: number;
  cpuB: number;
  failures: number;
}

interface Measured extends BurstResult {
  /** Main-thread CPU µs the server spent per request during the burst. */
  cpuMicros: number;
}

/** CPU time of a process' main thread (where JavaScript runs), in ns, from the scheduler's own accounting. */
function mainThreadCpuNs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
}

async function measure(subject: Subject, seconds: number, connections: number | undefined): Promise<Measured> {
  const before = mainThreadCpuNs(subject.pid);
  const result = await burst({
    url: `${subject.url}/hello`,
    seconds,
    connections,
    ...(subject.headers ? { headers: subject.headers } : {}),
  });
  const cpuNs = mainThreadCpuNs(subject.pid) - before;
  return { ...result, cpuMicros: cpuNs / 1e3 / Math.max(result.requests, 1) };
}

export async function runPaired(options: PairedOptions): Promise<PairedResult[]> {
  const { subjects, comparisons, rounds, burstSeconds, connections } = options;
  const byName = new Map(subjects.map((s) => [s.name, s]));
  for (const s of subjects) {
    await burst({ url: `${s.url}/hello`, seconds: options.warmupSeconds, connections, ...(s.headers ? { headers: s.headers } : {}) });
  }

  const history: Map<string, Measured>[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const results = new Map<string, Measured>();
    for (const s of shuffled(subjects)) results.set(s.name, await measure(s, burstSeconds, connections));
    history.push(results);
    options.onRound?.(round + 1);
  }

  return comparisons.map(({ label, a, b }) => {
    if (!byName.has(a) || !byName.has(b)) throw new Error(`unknown subject in ${label}`);
    const pairs = history.map((r) => [r.get(a)!, r.get(b)!] as const);
    return {
      label,
      a,
      b,
      throughput: summarise(pairs.map(([x, y]) => y.rps / x.rps)),
      addedMicros: summarise(pairs.map(([x, y]) => 1e6 / y.rps - 1e6 / x.rps)),
      addedCpuMicros: summarise(pairs.map(([x, y]) => y.cpuMicros - x.cpuMicros)),
      p99: summarise(pairs.map(([x, y]) => y.p99 / Math.max(x.p99, 1))),
      rpsA: summarise(pairs.map(([x]) => x.rps)).median,
      rpsB: summarise(pairs.map(([, y]) => y.rps)).median,
      cpuA: summarise(pairs.map(([x]) => x.cpuMicros)).median,
      cpuB: summarise(pairs.map(([, y]) => y.cpuMicros)).median,
      failures: pairs.reduce((n, [x, y]) => n + x.errors + y.errors + x.non2xx + y.non2xx, 0),
    };
  });
}
