// Runs each hostile pattern against a fresh service confined to the chart's memory limit and
// reports the peak memory, whether the kernel OOM-killed it, and what a normal client saw.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMemoryCgroup, startConfinedService } from './cgroup.ts';
import {
  brotliBomb,
  compressedBodies,
  endlessBodies,
  gzipBomb,
  manySlowRequests,
  pipelineWithoutReading,
  type ProbeTally,
} from './hostile.ts';

/** The chart's resources.limits.memory. */
export const LIMIT_BYTES = 256 * 1024 * 1024;
const MiB = 1024 * 1024;

export interface Pattern {
  name: string;
  env?: Record<string, string>;
  /** A normal API request that the attack does not slow down on purpose. */
  apiPath?: string;
  /**
   * The attack holds the total in-flight cap (MAX_REQUESTS_IN_FLIGHT) full on purpose: a normal
   * request then gets the documented 503 + Retry-After as often as it is served.
   */
  fillsInFlightCap?: boolean;
  attack(url: string, durationMs: number): Promise<unknown>;
}

export const PATTERNS: Pattern[] = [
  { name: 'idle (baseline, no attack)', attack: (_url, ms) => sleep(ms) },
  { name: 'pipeline, 1 connection, never read', attack: (url, ms) => pipelineWithoutReading(url, 1, ms) },
  { name: 'pipeline, 4 connections, never read', attack: (url, ms) => pipelineWithoutReading(url, 4, ms) },
  { name: 'pipeline, 10 connections, never read', attack: (url, ms) => pipelineWithoutReading(url, 10, ms) },
  { name: 'brotli bodies, 100 concurrent', attack: (url, ms) => compressedBodies(url, 'br', brotliBomb(), 100, ms) },
  { name: 'gzip bodies, 100 concurrent', attack: (url, ms) => compressedBodies(url, 'gzip', gzipBomb(), 100, ms) },
  { name: 'endless bodies after 415, 20 connections', attack: (url, ms) => endlessBodies(url, 20, ms) },
  {
    name: 'slow requests, 3000 connections',
    env: { SIM_LIST_ITEMS_MEDIAN_MS: '3000', SIM_LIST_ITEMS_P99_MS: '3000', SIM_ERROR_RATE: '0' },
    apiPath: '/api/items/1',
    fillsInFlightCap: true,
    attack: (url, ms) => manySlowRequests(url, '/api/items?limit=100', 3000, ms),
  },
];

const PROBER = fileURLToPath(new URL('prober.ts', import.meta.url));

export interface PatternResult {
  pattern: string;
  peakRssMiB: number | undefined;
  cgroupPeakMiB: number;
  oomKills: number;
  alive: boolean;
  probes: ProbeTally;
  attack: unknown;
}

export async function runPattern(pattern: Pattern, durationMs: number): Promise<PatternResult> {
  const cgroup = createMemoryCgroup(`redline-test-${process.pid}-${Date.now()}`, LIMIT_BYTES);
  try {
    const service = await startConfinedService(cgroup, { SIM_ERROR_RATE: '0', ...pattern.env });
    try {
      const prober = spawn(process.execPath, [PROBER, service.url, pattern.apiPath ?? '/api/items?limit=2'], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      let report = '';
      prober.stdout.setEncoding('utf8').on('data', (chunk: string) => (report += chunk));
      const proberExited = new Promise((resolve) => prober.once('exit', resolve));
      const attack = await pattern.attack(service.url, durationMs);
      // The attacker is gone: the service must be back to answering normally.
      await sleep(1_000);
      prober.stdin.end();
      await proberExited;
      const probes = JSON.parse(report) as ProbeTally;
      const peakRss = service.peakRss();
      const alive = service.process.exitCode === null && service.process.signalCode === null;
      return {
        pattern: pattern.name,
        peakRssMiB: peakRss === undefined ? undefined : Math.round(peakRss / MiB),
        cgroupPeakMiB: Math.round(cgroup.peakBytes() / MiB),
        oomKills: cgroup.oomKills(),
        alive,
        probes,
        attack,
      };
    } finally {
      await service.stop();
    }
  } finally {
    await cgroup.remove();
  }
}

export function summary(r: PatternResult): string {
  const p = r.probes;
  return (
    `${r.pattern}: ${r.alive ? 'alive' : 'DEAD'}, oom_kill ${r.oomKills}, peak RSS ${r.peakRssMiB ?? '?'} MiB, cgroup peak ${r.cgroupPeakMiB} MiB; ` +
    `/healthz ${p.healthz.ok} ok ${p.healthz.failed.length} failed (max ${Math.round(p.healthz.maxMs)} ms); ` +
    `api ${p.api.ok} ok ${p.api.shed} shed ${p.api.failed.length} failed (max ${Math.round(p.api.maxMs)} ms); attack ${JSON.stringify(r.attack)}` +
    (p.healthz.failed.length + p.api.failed.length > 0
      ? `; failures ${JSON.stringify([...new Set([...p.healthz.failed, ...p.api.failed])])}`
      : '')
  );
}

// node test/memory/patterns.ts [seconds] [pattern substring]: prints one line per pattern.
if (import.meta.url === `file://${process.argv[1]}`) {
  const seconds = Number(process.argv[2] ?? 10);
  const filter = process.argv[3] ?? '';
  for (const pattern of PATTERNS.filter((p) => p.name.includes(filter))) {
    console.log(summary(await runPattern(pattern, seconds * 1000)));
  }
}
