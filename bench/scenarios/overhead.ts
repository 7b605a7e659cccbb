// Middleware overhead: bare Koa vs Koa + redline (1 and 50 routes; native histograms off and on;
// every request with a sampled traceparent, so each leaves exemplars, against none), each also
// against Koa + one empty async middleware (the cheapest a Koa middleware can be); /metrics in a
// middleware of its own and redline with METRICS_PORT (no scrape check on the API); bare Express
// vs Express + express-prom-bundle; and an A/A control (two identical bare Koa servers) that
// shows the noise floor of the method.
import { runPaired, type PairedResult } from '../lib/paired.ts';
import { startSubject, stopAll, type Subject, type SubjectOptions } from '../lib/subjects.ts';

export interface OverheadOptions {
  rounds: number;
  burstSeconds: number;
  warmupSeconds: number;
  connections: number;
  /** Start only these subjects (and run the comparisons between them); default all. */
  only?: string[];
  log: (line: string) => void;
}

export const OVERHEAD_COMPARISONS = [
  { label: 'A/A control: bare Koa vs bare Koa', a: 'koa', b: 'koa-2' },
  { label: 'Koa + one empty async middleware vs bare Koa', a: 'koa', b: 'koa-empty' },
  { label: 'Koa + redline vs bare Koa (1 route)', a: 'koa', b: 'koa-redline' },
  { label: 'Koa + redline vs Koa + one empty middleware', a: 'koa-empty', b: 'koa-redline' },
  { label: 'Koa + redline, native histograms on, vs bare Koa (1 route)', a: 'koa-2', b: 'koa-redline-native' },
  { label: 'Koa + redline, native histograms on, vs Koa + one empty middleware', a: 'koa-empty', b: 'koa-redline-native' },
  { label: 'Koa + redline, /metrics in a middleware of its own, vs bare Koa', a: 'koa', b: 'koa-redline-apart' },
  { label: 'Koa + redline with METRICS_PORT (no scrape check) vs bare Koa', a: 'koa', b: 'koa-redline-port' },
  { label: 'Koa + redline vs bare Koa (50 routes)', a: 'koa-50', b: 'koa-redline-50' },
  { label: 'Koa + redline, native, sampled traceparent (exemplars) vs none', a: 'koa-redline-native', b: 'koa-redline-native-traced' },
  {
    label: 'Koa + redline, native, exemplars, vs Koa + one empty middleware, both traced',
    a: 'koa-empty-traced',
    b: 'koa-redline-native-traced',
  },
  { label: 'Express + express-prom-bundle vs bare Express', a: 'express', b: 'express-prom' },
];

/** One sampled W3C trace context for every request of the traced subject. */
const SAMPLED_TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

export async function overhead(options: OverheadOptions): Promise<PairedResult[]> {
  const subjects: Subject[] = [];
  try {
    const traced = { traceparent: SAMPLED_TRACEPARENT };
    const specs: SubjectOptions[] = [
      { name: 'koa', kind: 'koa' },
      { name: 'koa-2', kind: 'koa' },
      { name: 'koa-empty', kind: 'koa-empty' },
      { name: 'koa-redline', kind: 'koa-redline' },
      { name: 'koa-redline-native', kind: 'koa-redline-native' },
      { name: 'koa-redline-apart', kind: 'koa-redline-apart' },
      { name: 'koa-redline-port', kind: 'koa-redline-port' },
      { name: 'koa-redline-native-traced', kind: 'koa-redline-native', headers: traced },
      { name: 'koa-empty-traced', kind: 'koa-empty', headers: traced },
      { name: 'koa-50', kind: 'koa', routes: 50 },
      { name: 'koa-redline-50', kind: 'koa-redline', routes: 50 },
      { name: 'express', kind: 'express' },
      { name: 'express-prom', kind: 'express-prom' },
    ];
    const only = options.only;
    for (const name of only ?? []) if (!specs.some((spec) => spec.name === name)) throw new Error(`unknown overhead subject ${name}`);
    for (const spec of specs) if (!only || only.includes(spec.name)) subjects.push(await startSubject(spec));
    const started = new Set(subjects.map((subject) => subject.name));
    options.log(
      `overhead: ${subjects.length} servers, ${options.rounds} rounds of ${options.burstSeconds}s bursts, ${options.connections} connections`,
    );
    return await runPaired({
      subjects,
      comparisons: OVERHEAD_COMPARISONS.filter((c) => started.has(c.a) && started.has(c.b)),
      rounds: options.rounds,
      burstSeconds: options.burstSeconds,
      warmupSeconds: options.warmupSeconds,
      connections: options.connections,
      onRound: (round) => {
        if (round % 10 === 0) options.log(`  round ${round}/${options.rounds}`);
      },
    });
  } finally {
    await stopAll(subjects);
  }
}
