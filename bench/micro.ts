// `make bench-micro`: nanoseconds per call of the pieces of the per-request metrics path, in
// one process (no HTTP). Explains where the middleware's cost goes; the HTTP benchmarks
// (bench/main.ts) are the ones that count.
import { Counter, Histogram, Registry } from 'prom-client';
import { DEFAULT_BUCKETS, RedMetrics } from '../service/src/metrics/index.ts';

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
time('process.hrtime.bigint() x2', () => {
  const started = process.hrtime.bigint();
  sink += Number(process.hrtime.bigint() - started) / 1e9;
});
time('performance.now() x2', () => {
  const started = performance.now();
  sink += (performance.now() - started) / 1000;
});
if (sink === -1) console.log(sink);
