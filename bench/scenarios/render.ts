// /metrics rendering cost: time and size of each exposition format for a registry holding the
// RED metrics with about 1k, 10k and 100k series (created through RedMetrics.observe, native
// histograms on as in the service), against prom-client's own Histogram holding the same
// series (the code before RedMetrics owned the histogram's storage).
import { Counter, Histogram, Registry } from 'prom-client';
import { serialRenderer, type ExpositionFormat } from '@redline/red-metrics';
import { DEFAULT_BUCKETS, RedMetrics } from '@redline/red-metrics/koa';
import { labelSetsFor, populateSeries } from '../fixtures/series.ts';
import { summarise, type Summary } from '../lib/stats.ts';

export interface RenderResult {
  series: number;
  labelSets: number;
  lines: number;
  bytes: number;
  /** redline's endpoint, text format: wall time (slices included) and this process's CPU time. */
  ms: Summary;
  cpuMs: Summary;
  /** prom-client's registry.metrics() with its own Histogram holding the same series. */
  promClientMs: Summary;
  protobufMs: Summary;
  protobufCpuMs: Summary;
  protobufBytes: number;
}

/** The same label sets, observed through prom-client's Counter and Histogram. */
function promClientTwin(series: number): Registry {
  const registry = new Registry();
  const labelNames = ['method', 'route', 'status_code'];
  const requests = new Counter({ name: 'http_requests_total', help: 'h', labelNames, registers: [registry] });
  const errors = new Counter({
    name: 'http_request_errors_total',
    help: 'h',
    labelNames: [...labelNames, 'error_type'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'h',
    labelNames,
    buckets: DEFAULT_BUCKETS,
    registers: [registry],
  });
  for (const [method, route, statusCode] of labelSetsFor(series)) {
    const status = String(statusCode);
    requests.labels(method, route, status).inc();
    duration.labels(method, route, status).observe(0.01);
    if (statusCode >= 500) errors.labels(method, route, status, 'exception').inc();
  }
  return registry;
}

/**
 * Wall time and CPU time (user + system of this process) per render. On a shared machine the
 * wall time includes time other processes held the CPU; the CPU time is the render's own.
 */
async function time(repeats: number, body: () => Promise<unknown>): Promise<{ wall: Summary; cpu: Summary }> {
  for (let i = 0; i < 3; i += 1) await body(); // warm-up
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < repeats; i += 1) {
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await body();
    wall.push(performance.now() - started);
    const used = process.cpuUsage(cpuBefore);
    cpu.push((used.user + used.system) / 1000);
  }
  return { wall: summarise(wall), cpu: summarise(cpu) };
}

export async function render(sizes: number[], repeats: number, log: (line: string) => void): Promise<RenderResult[]> {
  const results: RenderResult[] = [];
  for (const series of sizes) {
    const registry = new Registry();
    const labelSets = populateSeries(new RedMetrics(registry, { nativeHistograms: true }), series);
    const renderer = serialRenderer(registry);
    const renderAs = (format: ExpositionFormat) => renderer(format);
    let text = '';
    const textTimes = await time(repeats, async () => (text = (await renderAs('text')).body as string));
    let proto: Uint8Array = new Uint8Array();
    const protobufTimes = await time(repeats, async () => (proto = (await renderAs('protobuf')).body as Uint8Array));
    const twin = promClientTwin(series);
    const promClientMs = (await time(repeats, () => twin.metrics())).wall;
    const ms = textTimes.wall;
    const protobufMs = protobufTimes.wall;
    const lines = text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length;
    results.push({
      series,
      labelSets,
      lines,
      bytes: Buffer.byteLength(text),
      ms,
      cpuMs: textTimes.cpu,
      promClientMs,
      protobufMs,
      protobufCpuMs: protobufTimes.cpu,
      protobufBytes: proto.byteLength,
    });
    log(
      `render: ${series} series: text ${ms.median.toFixed(1)} ms (CPU ${textTimes.cpu.median.toFixed(1)}), protobuf ${protobufMs.median.toFixed(1)} ms, prom-client ${promClientMs.median.toFixed(1)} ms (median of ${repeats})`,
    );
  }
  return results;
}
