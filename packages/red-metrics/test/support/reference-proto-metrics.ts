// The protobuf messages of a metric redline renders, as plain objects for protobufjs: the
// reference the hand-written encoder (src/proto-writer.ts) must equal byte for byte. Built from
// the series' public state and metrics.proto alone, the way the endpoint built them before it
// had its own encoder (commit 946a86a).
import type { CounterFamily } from '../../src/counter-family.ts';
import type { DurationHistogram } from '../../src/duration-histogram.ts';
import type { Exposition, LabelPair, RenderContext } from '../../src/exposition.ts';
import type { SparseBuckets } from '../../src/exponential-buckets.ts';
import type { Exemplar } from '../../src/trace-context.ts';

const timestamp = (milliseconds: number) => {
  const seconds = Math.floor(milliseconds / 1000);
  return { seconds, nanos: Math.round((milliseconds - seconds * 1000) * 1e6) };
};

const exemplarMessage = (exemplar: Exemplar) => ({
  label: [
    { name: 'trace_id', value: exemplar.traceId },
    { name: 'span_id', value: exemplar.spanId },
  ],
  value: exemplar.value,
  timestamp: timestamp(exemplar.at),
});

/** A series' labels, then the registry's default labels it does not set itself. */
function labels(own: LabelPair[], context: RenderContext): LabelPair[] {
  return [...own, ...context.defaultLabels.filter(({ name }) => !own.some((pair) => pair.name === name))];
}

/**
 * metrics.proto's BucketSpan and delta encoding, straight from its comments: spans of
 * consecutive buckets, a span's offset the gap since the previous one; each delta against the
 * previous bucket's count. Gaps of up to two empty buckets are filled in, as client_golang.
 */
function spans(buckets: SparseBuckets) {
  const spanList: { offset: number; length: number }[] = [];
  const deltas: number[] = [];
  let previous = 0;
  let lastKey = 0;
  for (let i = 0; i < buckets.size; i += 1) {
    const key = buckets.keys[i]!;
    const gap = key - lastKey - 1;
    if (i > 0 && gap <= 2) {
      for (let g = 0; g < gap; g += 1) {
        deltas.push(0 - previous);
        previous = 0;
      }
      spanList[spanList.length - 1]!.length += gap + 1;
    } else spanList.push({ offset: i === 0 ? key : gap, length: 1 });
    deltas.push(buckets.counts[i]! - previous);
    previous = buckets.counts[i]!;
    lastKey = key;
  }
  return { spans: spanList, deltas };
}

export function referenceMetrics(exposition: Exposition, context: RenderContext): object[] {
  const metrics: object[] = [];
  if (exposition.type === 'counter') {
    const family = exposition as unknown as CounterFamily;
    for (let s = 0; s < family.seriesCount; s += 1) {
      const series = family.seriesAt(s)!;
      const counter: Record<string, unknown> = { value: series.value, createdTimestamp: timestamp(series.startedAt) };
      if (series.exemplar) counter.exemplar = exemplarMessage(series.exemplar);
      metrics.push({ label: labels(series.labelPairs, context), counter });
    }
    return metrics;
  }
  const family = exposition as unknown as DurationHistogram;
  const bounds = family.upperBounds;
  for (let s = 0; s < family.seriesCount; s += 1) {
    const series = family.seriesAt(s)!;
    const counts = series.data;
    const n = bounds.length;
    const bucket: object[] = [];
    let cumulative = 0;
    for (let i = 0; i < n; i += 1) {
      cumulative += counts[i]!;
      const exemplar = series.bucketExemplars?.[i];
      bucket.push({ cumulativeCount: cumulative, upperBound: bounds[i], ...(exemplar ? { exemplar: exemplarMessage(exemplar) } : {}) });
    }
    const above = series.bucketExemplars?.[n];
    if (above) bucket.push({ cumulativeCount: series.count, upperBound: Number.POSITIVE_INFINITY, exemplar: exemplarMessage(above) });
    const histogram: Record<string, unknown> = {
      sampleCount: series.count,
      sampleSum: series.sum,
      bucket,
      createdTimestamp: timestamp(series.startedAt),
    };
    const native = series.native;
    if (native) {
      const positive = spans(native.positive);
      const negative = spans(native.negative);
      Object.assign(histogram, {
        schema: native.schema,
        zeroThreshold: native.zeroThreshold,
        zeroCount: native.zeroCount,
        positiveSpan: positive.spans,
        positiveDelta: positive.deltas,
        negativeSpan: negative.spans,
        negativeDelta: negative.deltas,
      });
      if (series.nativeExemplars?.length) histogram.exemplars = series.nativeExemplars.map(exemplarMessage);
      const empty = positive.spans.length === 0 && negative.spans.length === 0;
      if (empty && native.zeroThreshold === 0 && native.zeroCount === 0) histogram.positiveSpan = [{ offset: 0, length: 0 }];
    }
    metrics.push({ label: labels(series.labelPairs, context), histogram });
  }
  return metrics;
}
