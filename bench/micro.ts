// `make bench-micro`: nanoseconds per call of the pieces of the per-request metrics path, in
// one process (no HTTP). Explains where the middleware's cost goes; the HTTP benchmarks
// (bench/main.ts) are the ones that count.
import { Counter, Histogram, Registry } from 'prom-client';
import { EventEmitter } from 'node:events';
import type { Context } from 'koa';
import { DEFAULT_BUCKETS, RedMetrics, redMiddleware, scrapeEndpoint } from '@redline/red-metrics/koa';

const N = Number(process.env.MICRO_N ?? 2_000_000);
const registry = new Registry();
const labelNames = ['method', 'route', 'status_code'];
const counter = new Counter({ name: 'c_total', help: 'c', labelNames, registers: [registry] });
const histogram = new Histogram({ name: 'h_seconds', help: 'h', labelNames, buckets: DEFAULT_BUCKETS, registers: [registry] });
const counterChild = counter.labels('GET', '/hello', '200');
const histogramChild = histogram.labels('GET', '/hello', '200');
const red = new RedMetrics(new Registry());
const redNative = new RedMetrics(new Registry(), { nativeHistograms: true });
const keyed = new Map([['GET /hello 200', 1]]);
// Read from the environment so V8 cannot fold the key string into a constant.
const method = process.env.MICRO_METHOD ?? 'GET';
const route = process.env.MICRO_ROUTE ?? '/hello';
const status = Number(process.env.MICRO_STATUS ?? 200);
let sink = 0;

function time(name: string, body: (i: number) => void): void {
  for (let i = 0; i < N / 10; i += 1) body(i); // warm-up (JIT)
  const started = performance.now();
  for (let i = 0; i < N; i += 1) body(i);
  console.log(`${name.padEnd(44)} ${(((performance.now() - started) * 1e6) / N).toFixed(0).padStart(6)} ns`);
}

console.log(`node ${process.version}, ${N} calls each`);
time('prom-client counter child .inc()', () => counterChild.inc());
time('prom-client histogram child .observe()', (i) => histogramChild.observe((i % 100) / 1000));
time('prom-client .labels() + inc + observe', (i) => {
  counter.labels(method, route, String(status)).inc();
  histogram.labels(method, route, String(status)).observe((i % 100) / 1000);
});
time('string key + Map.get (the old child cache)', () => void (sink += keyed.get(`${method} ${route} ${status}`)!));
time('RedMetrics.observe (whole record), classic', (i) => red.observe(method, route, status, (i % 100) / 1000, false));
time('RedMetrics.observe (whole record), + native', (i) => redNative.observe(method, route, status, (i % 100) / 1000, false));
const trace = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
time('RedMetrics.observe, + native, + exemplar', (i) => redNative.observe(method, route, status, (i % 100) / 1000, false, trace));
time('process.hrtime.bigint() x2', () => {
  const started = process.hrtime.bigint();
  sink += Number(process.hrtime.bigint() - started) / 1e9;
});
time('performance.now() x2', () => {
  const started = performance.now();
  sink += (performance.now() - started) / 1000;
});

/** A request as the middleware sees it: Koa's ctx with a response that emits 'close'. */
function fakeContext(headers: Record<string, string>) {
  const res = Object.assign(new EventEmitter(), { writableFinished: true, statusCode: 200, req: { socket: {} } });
  return { method, path: route, res, req: { headers }, matched: [{ methods: ['HEAD', 'GET'], path: route }] } as unknown as Context & {
    res: EventEmitter;
  };
}
const NO_HEADERS = {};
const SAMPLED = { traceparent: `00-${trace.traceId}-${trace.spanId}-01` };
const next = async () => {};
const bare = async (_ctx: Context, nextFn: () => Promise<void>) => {
  await nextFn();
};
// The cheapest middleware: no promise of its own, it hands back the handlers' one.
const passThrough = (_ctx: Context, nextFn: () => Promise<void>) => nextFn();
const nativeMiddleware = redMiddleware(redNative);
const subjects = [
  ['bare async middleware', bare, NO_HEADERS],
  ['pass-through middleware (returns next())', passThrough, NO_HEADERS],
  ['redMiddleware, classic', redMiddleware(red), NO_HEADERS],
  ['redMiddleware, classic, answering /metrics', redMiddleware(red, { scrape: scrapeEndpoint(new Registry()) }), NO_HEADERS],
  ['redMiddleware, + native', nativeMiddleware, NO_HEADERS],
  ['redMiddleware, + native, sampled traceparent', nativeMiddleware, SAMPLED],
] as const;
/** ns per request of one subject over `n` requests (each ends with its 'close' event). */
async function run(
  middleware: (ctx: Context, next: () => Promise<void>) => Promise<unknown>,
  headers: Record<string, string>,
  n: number,
): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < n; i += 1) {
    const ctx = fakeContext(headers);
    await middleware(ctx, next);
    ctx.res.emit('close');
  }
  return ((performance.now() - started) * 1e6) / n;
}
// Paired, as the HTTP benchmarks: each round runs every subject once in a shuffled order and
// the differences are taken within the round.
const ROUNDS = 60;
const PER_ROUND = Math.max(1_000, Math.round(N / 100));
for (const [, middleware, headers] of subjects) await run(middleware, headers, PER_ROUND * 5); // warm-up (JIT)
const added: number[][] = subjects.slice(1).map(() => []);
for (let round = 0; round < ROUNDS; round += 1) {
  const order = subjects.map((_, index) => index).sort(() => Math.random() - 0.5);
  const ns: number[] = [];
  for (const index of order) ns[index] = await run(subjects[index]![1], subjects[index]![2], PER_ROUND);
  for (let i = 1; i < subjects.length; i += 1) added[i - 1]!.push(ns[i]! - ns[0]!);
}
const q = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.floor(p * (values.length - 1))]!;
for (const [i, [label]] of subjects.slice(1).entries()) {
  const values = added[i]!;
  console.log(
    `${`${label}: added per request`.padEnd(44)} ${q(values, 0.5).toFixed(0).padStart(6)} ns (IQR ${q(values, 0.25).toFixed(0)}–${q(values, 0.75).toFixed(0)}, ${ROUNDS} paired rounds over a bare async middleware; negative: cheaper)`,
  );
}
if (sink === -1) console.log(sink);
