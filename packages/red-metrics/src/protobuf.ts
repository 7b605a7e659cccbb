// Prometheus' protobuf exposition: length-delimited io.prometheus.client.MetricFamily messages,
// of the upstream metrics.proto (vendored in proto/): protobufjs encodes the families
// prom-client holds and the family headers, proto-writer.ts the series of the metrics redline
// owns (a scrape's bulk), with their start (created) timestamps and the duration histogram's
// classic and native buckets. metrics.proto names the field created_timestamp; newer
// client_model versions call it start_timestamp, at the same numbers.
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { Exposition } from './exposition.ts';

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

/** A registry metric as prom-client holds it (the fields the protobuf encoding reads). */
export interface RegistryMetric {
  name: string;
  help: string;
  type: string;
  get(): Promise<{ values: Sample[] }>;
}

/** One metric prom-client renders, as a whole delimited MetricFamily message. */
export async function encodePromClientFamily(metric: RegistryMetric): Promise<Uint8Array> {
  const { values } = await metric.get();
  return MetricFamily.encodeDelimited({
    name: metric.name,
    help: metric.help,
    type: TYPES[metric.type] ?? TYPES.untyped,
    metric: promClientMetrics(metric.type, metric.name, values),
  }).finish();
}

/** The MetricFamily fields before the series (name, help, type) of a metric redline renders. */
export function encodeFamilyHeader(exposition: Exposition): Uint8Array {
  return MetricFamily.encode({ name: exposition.name, help: exposition.help, type: TYPES[exposition.type] }).finish();
}

/** The varint length prefix of a delimited message of `length` bytes. */
export function lengthPrefix(length: number): Uint8Array {
  return protobuf.Writer.create().uint32(length).finish();
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
