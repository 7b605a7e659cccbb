// Prometheus' protobuf exposition: length-delimited io.prometheus.client.MetricFamily messages,
// encoded by protobufjs from the upstream metrics.proto (vendored in proto/). Carries every
// metric of the registry; the RED metrics redline owns with their start (created) timestamps
// and the duration histogram's classic and native buckets. metrics.proto names the field
// created_timestamp; newer client_model versions call it start_timestamp, at the same numbers.
import { fileURLToPath } from 'node:url';
import type { Registry, RegistryContentType } from 'prom-client';
import protobuf from 'protobufjs';
import { expositionOf, NO_DEFAULT_LABELS, type RenderContext, seriesChunks } from './exposition.ts';

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';

const root = protobuf.loadSync(fileURLToPath(new URL('./proto/metrics.proto', import.meta.url)));
const MetricFamily = root.lookupType('io.prometheus.client.MetricFamily');

const TYPES: Record<string, number> = { counter: 0, gauge: 1, summary: 2, untyped: 3, histogram: 4 };

interface Sample {
  labels: Record<string, string | number | undefined>;
  value: number;
  metricName?: string;
}

const labelPairs = (labels: Record<string, string | number | undefined>, skip?: string) =>
  Object.entries(labels)
    .filter(([name, value]) => name !== skip && value !== undefined)
    .map(([name, value]) => ({ name, value: String(value) }));

/** Groups a prom-client histogram's or summary's samples by their labels (without le/quantile). */
function grouped(values: Sample[], skip: string) {
  const groups = new Map<string, { labels: { name: string; value: string }[]; samples: Sample[] }>();
  for (const sample of values) {
    const labels = labelPairs(sample.labels, skip);
    const key = JSON.stringify(labels);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { labels, samples: [] }));
    group.samples.push(sample);
  }
  return [...groups.values()];
}

/** A prom-client metric's samples as protobuf Metric messages. */
function promClientMetrics(type: string, name: string, values: Sample[]): object[] {
  if (type === 'counter') return values.map((v) => ({ label: labelPairs(v.labels), counter: { value: v.value } }));
  if (type === 'gauge') return values.map((v) => ({ label: labelPairs(v.labels), gauge: { value: v.value } }));
  if (type === 'histogram') {
    return grouped(values, 'le').map(({ labels, samples }) => {
      const bucket = samples
        .filter((s) => s.metricName === `${name}_bucket` && s.labels.le !== '+Inf')
        .map((s) => ({ cumulativeCount: s.value, upperBound: Number(s.labels.le) }));
      const sum = samples.find((s) => s.metricName === `${name}_sum`)?.value ?? 0;
      const count = samples.find((s) => s.metricName === `${name}_count`)?.value ?? 0;
      return { label: labels, histogram: { sampleCount: count, sampleSum: sum, bucket } };
    });
  }
  if (type === 'summary') {
    return grouped(values, 'quantile').map(({ labels, samples }) => ({
      label: labels,
      summary: {
        sampleCount: samples.find((s) => s.metricName === `${name}_count`)?.value ?? 0,
        sampleSum: samples.find((s) => s.metricName === `${name}_sum`)?.value ?? 0,
        quantile: samples
          .filter((s) => s.labels.quantile !== undefined)
          .map((s) => ({ quantile: Number(s.labels.quantile), value: s.value })),
      },
    }));
  }
  return values.map((v) => ({ label: labelPairs(v.labels), untyped: { value: v.value } }));
}

/**
 * Encodes every metric of the registry. The metrics redline owns are encoded in slices of
 * series, with `between` run after each: protobuf messages concatenate (repeated fields
 * append), so the family is its header message followed by one `{ metric: [...] }` message per
 * slice, under one length prefix.
 */
export async function renderProtobuf(
  registry: Registry<RegistryContentType>,
  between: () => Promise<void>,
  context: RenderContext = NO_DEFAULT_LABELS,
  slice = 100,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (const metric of registry.getMetricsAsArray() as unknown as {
    name: string;
    help: string;
    type: string;
    get(): Promise<{ values: Sample[] }>;
  }[]) {
    const exposition = expositionOf(metric);
    if (exposition) {
      exposition.prepareRead();
      const parts = [MetricFamily.encode({ name: exposition.name, help: exposition.help, type: TYPES[exposition.type] }).finish()];
      let first = true;
      for (const [from, to] of seriesChunks(exposition.seriesCount, slice)) {
        if (!first) await between();
        first = false;
        parts.push(MetricFamily.encode({ metric: exposition.protoMetrics(from, to, context) }).finish());
      }
      const length = parts.reduce((sum, part) => sum + part.byteLength, 0);
      chunks.push(protobuf.Writer.create().uint32(length).finish(), ...parts);
      continue;
    }
    const { values } = await metric.get();
    chunks.push(
      MetricFamily.encodeDelimited({
        name: metric.name,
        help: metric.help,
        type: TYPES[metric.type] ?? TYPES.untyped,
        metric: promClientMetrics(metric.type, metric.name, values),
      }).finish(),
    );
  }
  return Buffer.concat(chunks);
}

/** A decoded MetricFamily: metrics.proto's fields in camelCase; absent fields are undefined. */
export interface DecodedFamily {
  name: string;
  help?: string;
  type?: number;
  metric: DecodedMetric[];
}

export interface DecodedTimestamp {
  seconds?: number;
  nanos?: number;
}

export interface DecodedExemplar {
  label: { name: string; value: string }[];
  value?: number;
  timestamp?: DecodedTimestamp;
}

export interface DecodedMetric {
  label: { name: string; value: string }[];
  counter?: { value?: number; exemplar?: DecodedExemplar; createdTimestamp?: DecodedTimestamp };
  gauge?: { value?: number };
  untyped?: { value?: number };
  summary?: { sampleCount?: number; sampleSum?: number; quantile: { quantile?: number; value?: number }[] };
  histogram?: DecodedHistogram;
}

export interface DecodedHistogram {
  sampleCount?: number;
  sampleSum?: number;
  bucket: { cumulativeCount?: number; upperBound?: number; exemplar?: DecodedExemplar }[];
  createdTimestamp?: DecodedTimestamp;
  exemplars: DecodedExemplar[];
  schema?: number;
  zeroThreshold?: number;
  zeroCount?: number;
  positiveSpan: { offset?: number; length?: number }[];
  positiveDelta: number[];
  negativeSpan: { offset?: number; length?: number }[];
  negativeDelta: number[];
}

/** Decodes a delimited exposition (for tests and tools). */
export function decodeProtobuf(body: Uint8Array): DecodedFamily[] {
  const reader = protobuf.Reader.create(body);
  const families: DecodedFamily[] = [];
  while (reader.pos < reader.len) {
    const decoded = MetricFamily.toObject(MetricFamily.decodeDelimited(reader), { longs: Number, defaults: false, arrays: true });
    families.push(decoded as DecodedFamily);
  }
  return families;
}
