// Memory per series: live heap (after full GCs) of RedMetrics holding N label sets, each fed
// with the same latency spread (log-normal, median 20 ms, p99 200 ms: about 40 populated native
// buckets), with native histograms off and on.
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { Registry } from 'prom-client';
import { RedMetrics } from '@redline/red-metrics/koa';
import { labelSetsFor } from '../fixtures/series.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

export interface MemoryResult {
  labelSets: number;
  observationsPerSet: number;
  classicBytesPerSet: number;
  nativeBytesPerSet: number;
  nativeBucketsPerSet: number;
}

function liveHeap(): number {
  for (let i = 0; i < 3; i += 1) gc();
  return process.memoryUsage().heapUsed;
}

function fill(native: boolean, sets: [string, string, number][], observations: number): { metrics: RedMetrics; bytes: number } {
  const before = liveHeap();
  const metrics = new RedMetrics(new Registry(), { nativeHistograms: native });
  let seed = 1;
  const sigma = Math.log(10) / 2.326;
  for (const [method, route, status] of sets) {
    for (let i = 0; i < observations; i += 1) {
      seed = (seed * 48271) % 2147483647;
      const u1 = seed / 2147483647;
      seed = (seed * 48271) % 2147483647;
      const u2 = seed / 2147483647;
      const normal = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
      metrics.observe(method, route, status, 0.02 * Math.exp(sigma * normal), false);
    }
  }
  return { metrics, bytes: liveHeap() - before };
}

export function memory(labelSets: number, observations: number, log: (line: string) => void): MemoryResult {
  const sets = labelSetsFor(labelSets * 19).slice(0, labelSets);
  const classic = fill(false, sets, observations);
  const classicBytes = classic.bytes;
  const native = fill(true, sets, observations);
  const [method, route, status] = sets[0]!;
  const series = native.metrics.duration.series([method, route, String(status)]);
  const result = {
    labelSets: sets.length,
    observationsPerSet: observations,
    classicBytesPerSet: classicBytes / sets.length,
    nativeBytesPerSet: native.bytes / sets.length,
    nativeBucketsPerSet: series.native!.positive.size,
  };
  log(
    `memory: ${result.labelSets} label sets, ${Math.round(result.classicBytesPerSet)} B classic, ${Math.round(result.nativeBytesPerSet)} B native per label set`,
  );
  return result;
}
