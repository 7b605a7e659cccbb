// A histogram whose storage redline owns: per label set, one Float64Array holding the classic
// bucket counts, sum and count, and optionally an exponential (native) histogram. It plugs
// into a prom-client registry as a metric (name, help, type, get, reset), so every reader of
// the registry sees it as prom-client's own Histogram would show it; the /metrics endpoint
// renders it directly (text, OpenMetrics, protobuf) without building label objects.
import type { Registry } from 'prom-client';
import {
  DEFAULT_BUCKET_FACTOR,
  DEFAULT_BUCKET_LIMIT,
  DEFAULT_ZERO_THRESHOLD,
  ExponentialHistogram,
  schemaForFactor,
  spansOf,
  type ExponentialOptions,
} from './exponential-buckets.ts';

export interface DurationHistogramOptions {
  name: string;
  help: string;
  labelNames: string[];
  /** Classic bucket upper bounds, ascending (+Inf is implied). */
  buckets: number[];
  /** Keep a native histogram per series too (false: classic only). */
  native?: false | ExponentialOptions;
  registers?: Registry[];
  /** Runs before every read (render, get), e.g. to create pending series. */
  beforeRead?: () => void;
}

/** prom-client's number formatting, so the text output is byte-identical to its Histogram's. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'Nan';
  if (!Number.isFinite(value)) return value < 0 ? '-Inf' : '+Inf';
  return `${value}`;
}

/** prom-client's label value escaping. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export class HistogramSeries {
  readonly labelValues: readonly string[];
  /** [count of bucket 0 … count of bucket n-1, count above the last bound, sum, count]. */
  readonly data: Float64Array;
  readonly native: ExponentialHistogram | undefined;
  private readonly bounds: Float64Array;
  /** `method="GET",route="/a",status_code="200"`: rendered once, reused by every scrape. */
  readonly labelText: string;
  readonly labelPairs: { name: string; value: string }[];

  constructor(
    labelNames: readonly string[],
    labelValues: readonly string[],
    bounds: Float64Array,
    native: ExponentialHistogram | undefined,
  ) {
    this.labelValues = labelValues;
    this.bounds = bounds;
    this.data = new Float64Array(bounds.length + 3);
    this.native = native;
    this.labelText = labelNames.map((name, i) => `${name}="${escapeLabelValue(labelValues[i]!)}"`).join(',');
    this.labelPairs = labelNames.map((name, i) => ({ name, value: labelValues[i]! }));
  }

  observe(value: number): void {
    const { bounds, data } = this;
    const n = bounds.length;
    let i = 0;
    while (i < n && value > bounds[i]!) i += 1; // le is inclusive
    data[i]! += 1;
    data[n + 1]! += value;
    data[n + 2]! += 1;
    this.native?.observe(value);
  }

  reset(): void {
    this.data.fill(0);
    this.native?.reset(this.native.initialSchema);
  }

  get sum(): number {
    return this.data[this.bounds.length + 1]!;
  }

  get count(): number {
    return this.data[this.bounds.length + 2]!;
  }
}

export class DurationHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  readonly labelNames: readonly string[];
  readonly upperBounds: readonly number[];
  readonly nativeSchema: number | undefined;
  readonly zeroThreshold: number;
  private readonly bounds: Float64Array;
  private readonly bucketLimit: number;
  private readonly beforeRead: (() => void) | undefined;
  private readonly bucketHeads: string[];
  private readonly sumHead: string;
  private readonly countHead: string;
  /** Series in creation order (the order prom-client renders them in). */
  private readonly list: HistogramSeries[] = [];
  private readonly byKey = new Map<string, HistogramSeries>();

  constructor(options: DurationHistogramOptions) {
    const sorted = [...options.buckets].sort((a, b) => a - b);
    if (sorted.some((bound, i) => !Number.isFinite(bound) || (i > 0 && bound === sorted[i - 1]))) {
      throw new TypeError('buckets must be finite and distinct');
    }
    this.name = options.name;
    this.help = options.help;
    this.labelNames = [...options.labelNames];
    this.upperBounds = sorted;
    this.bounds = Float64Array.from(sorted);
    const native = options.native;
    this.nativeSchema =
      native === false || native === undefined ? undefined : schemaForFactor(native.bucketFactor ?? DEFAULT_BUCKET_FACTOR);
    const nativeOptions: ExponentialOptions = native || {};
    this.zeroThreshold = nativeOptions.zeroThreshold ?? DEFAULT_ZERO_THRESHOLD;
    if (!(this.zeroThreshold >= 0)) throw new RangeError('zeroThreshold must be >= 0');
    this.bucketLimit = nativeOptions.bucketLimit ?? DEFAULT_BUCKET_LIMIT;
    this.beforeRead = options.beforeRead;
    this.bucketHeads = [...sorted.map((bound) => `${this.name}_bucket{le="${bound}",`), `${this.name}_bucket{le="+Inf",`];
    this.sumHead = `${this.name}_sum{`;
    this.countHead = `${this.name}_count{`;
    for (const registry of options.registers ?? []) registry.registerMetric(this as never);
  }

  /** The series of these label values (in labelNames order), created empty if new. */
  series(labelValues: readonly string[]): HistogramSeries {
    const key = labelValues.join('\u0000');
    let series = this.byKey.get(key);
    if (!series) {
      if (labelValues.length !== this.labelNames.length) throw new TypeError(`expected ${this.labelNames.length} label values`);
      const native =
        this.nativeSchema === undefined ? undefined : new ExponentialHistogram(this.nativeSchema, this.zeroThreshold, this.bucketLimit);
      series = new HistogramSeries(this.labelNames, labelValues, this.bounds, native);
      this.byKey.set(key, series);
      this.list.push(series);
    }
    return series;
  }

  /** prom-client's `labels(...)`: a child to observe through (a lookup per call). */
  labels(...labelValues: string[]): { observe(value: number): void } {
    return this.series(labelValues);
  }

  get seriesCount(): number {
    return this.list.length;
  }

  /** Runs the read hook (pending series) before a render. */
  prepareRead(): void {
    this.beforeRead?.();
  }

  /** The text lines (Prometheus text and OpenMetrics alike) of series [from, to). */
  renderLines(from: number, to: number): string {
    const { bucketHeads, sumHead, countHead } = this;
    const n = this.bounds.length;
    let out = '';
    for (let s = from; s < to; s += 1) {
      const series = this.list[s]!;
      const { data, labelText } = series;
      let cumulative = 0;
      for (let i = 0; i < n; i += 1) {
        cumulative += data[i]!;
        out += `\n${bucketHeads[i]}${labelText}} ${cumulative}`;
      }
      out += `\n${bucketHeads[n]}${labelText}} ${data[n + 2]}`;
      out += `\n${sumHead}${labelText}} ${formatValue(data[n + 1]!)}`;
      out += `\n${countHead}${labelText}} ${data[n + 2]}`;
    }
    return out;
  }

  /** `# HELP` and `# TYPE`, as prom-client writes them. */
  header(): string {
    const escapeText = (text: string) => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
    return `# HELP ${escapeText(this.name)} ${escapeText(this.help)}\n# TYPE ${escapeText(this.name)} histogram`;
  }

  /** The protobuf Metric messages (plain objects for protobufjs) of series [from, to). */
  protoMetrics(from: number, to: number): object[] {
    const n = this.bounds.length;
    const metrics: object[] = [];
    for (let s = from; s < to; s += 1) {
      const series = this.list[s]!;
      const { data } = series;
      const bucket: { cumulativeCount: number; upperBound: number }[] = [];
      let cumulative = 0;
      for (let i = 0; i < n; i += 1) {
        cumulative += data[i]!;
        bucket.push({ cumulativeCount: cumulative, upperBound: this.bounds[i]! });
      }
      const histogram: Record<string, unknown> = { sampleCount: data[n + 2]!, sampleSum: data[n + 1]!, bucket };
      const native = series.native;
      if (native) {
        const positive = spansOf(native.positive);
        const negative = spansOf(native.negative);
        histogram.schema = native.schema;
        histogram.zeroThreshold = native.zeroThreshold;
        histogram.zeroCount = native.zeroCount;
        histogram.positiveSpan = positive.spans;
        histogram.positiveDelta = positive.deltas;
        histogram.negativeSpan = negative.spans;
        histogram.negativeDelta = negative.deltas;
        if (native.zeroThreshold === 0 && native.zeroCount === 0 && positive.spans.length === 0 && negative.spans.length === 0) {
          histogram.positiveSpan = [{ offset: 0, length: 0 }]; // marks it native when empty
        }
      }
      metrics.push({ label: series.labelPairs, histogram });
    }
    return metrics;
  }

  /** prom-client's metric interface: the samples as its Histogram.get() shapes them. */
  async get() {
    this.prepareRead();
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    const n = this.bounds.length;
    for (const series of this.list) {
      const labels: Record<string, string> = {};
      for (const [i, name] of this.labelNames.entries()) labels[name] = series.labelValues[i]!;
      let cumulative = 0;
      for (let i = 0; i < n; i += 1) {
        cumulative += series.data[i]!;
        values.push({ labels: { le: this.bounds[i]!, ...labels }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: { le: '+Inf', ...labels }, value: series.count, metricName: `${this.name}_bucket` });
      values.push({ labels: { ...labels }, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...labels }, value: series.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** Zeroes every series but keeps it: cached series stay valid for their holders. */
  reset(): void {
    for (const series of this.list) series.reset();
  }
}
