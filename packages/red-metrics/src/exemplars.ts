// Exemplars kept per series. Classic buckets and counters keep the latest exemplar each, as
// client_golang and OpenMetrics do. A native histogram keeps a bounded set, as
// client_golang's nativeExemplars: up to `capacity` ordered by value; when full, a new one
// replaces the oldest if that has expired, else one of the two closest in log(value) (the
// older of the pair), or its neighbour if the new one would sit closer to it, so the set keeps
// its spread over the distribution.
import { createdSeconds, escapeLabelValue, formatValue } from './exposition.ts';
import type { Exemplar } from './trace-context.ts';

export const NATIVE_EXEMPLAR_CAPACITY = 10;
export const NATIVE_EXEMPLAR_TTL_MS = 5 * 60_000;

/** An exemplar with the logarithm of its value, computed once for the distance comparisons. */
export interface NativeExemplar extends Exemplar {
  log: number;
}

/** The exemplar of a traced observation (one object for its classic bucket and the native set). */
export function exemplarOf(traceId: string, spanId: string, value: number, at: number): NativeExemplar {
  return { traceId, spanId, value, at, log: Math.log(value) };
}

export function addNativeExemplar(list: NativeExemplar[], exemplar: NativeExemplar, capacity: number, ttlMs: number): void {
  if (capacity <= 0) return;
  if (list.length < capacity) {
    // Before the first larger one (equal values: after them, as client_golang).
    let at = 0;
    while (at < list.length && !(exemplar.value < list[at]!.value)) at += 1;
    list.splice(at, 0, exemplar);
    return;
  }
  if (list.length === 1) {
    list[0] = exemplar;
    return;
  }
  let insertAt = 0; // the first one at least as large
  while (insertAt < list.length && !(exemplar.value <= list[insertAt]!.value)) insertAt += 1;
  let oldest = 0;
  let closest = Number.POSITIVE_INFINITY;
  let replace = -1;
  for (let i = 0; i < list.length; i += 1) {
    if (list[i]!.at < list[oldest]!.at) oldest = i;
    if (i === 0) continue;
    const distance = Math.abs(list[i]!.log - list[i - 1]!.log);
    if (replace < 0 || distance < closest) {
      closest = distance;
      replace = list[i]!.at < list[i - 1]!.at ? i : i - 1;
    }
  }
  if (exemplar.at - list[oldest]!.at > ttlMs) {
    replace = oldest;
  } else {
    const logValue = exemplar.log;
    if (insertAt > 0) {
      const distance = Math.abs(logValue - list[insertAt - 1]!.log);
      if (distance < closest) {
        closest = distance;
        replace = insertAt - 1;
      }
    }
    if (insertAt < list.length && Math.abs(list[insertAt]!.log - logValue) < closest) replace = insertAt;
  }
  list.splice(replace, 1);
  list.splice(replace < insertAt ? insertAt - 1 : insertAt, 0, exemplar);
}

/** ` # {trace_id="…",span_id="…"} value timestamp`: an OpenMetrics exemplar after a sample. */
export function openMetricsExemplar(exemplar: Exemplar | undefined): string {
  if (!exemplar) return '';
  return ` # {trace_id="${escapeLabelValue(exemplar.traceId)}",span_id="${escapeLabelValue(exemplar.spanId)}"} ${formatValue(exemplar.value)} ${createdSeconds(exemplar.at)}`;
}
