// A histogram whose storage redline owns: per label set, one Float64Array holding the classic
// bucket counts, sum and count, optionally an exponential (native) histogram, and the series'
// start time. It plugs into a prom-client registry as a metric (name, help, type, get, reset),
// so every reader of the registry sees it as prom-client's own Histogram would show it; the
// /metrics endpoint renders it through its exposition (text, OpenMetrics with `_created`,
// protobuf with the start timestamp) without building label objects.
import type { Registry } from 'prom-client';
import {
  addNativeExemplar,
  exemplarOf,
  NATIVE_EXEMPLAR_CAPACITY,
  type NativeExemplar,
  NATIVE_EXEMPLAR_TTL_MS,
  openMetricsExemplar,
} from './exemplars.ts';
import {
  ExponentialHistogram,
  type ExponentialOptions,
  type NativeSettings,
  nativeSettings,
  type Spans,
  spansOf,
} from './exponential-buckets.ts';
import {
  applicableDefaults,
  createdSeconds,
  EXPOSITION,
  type Exposition,
  escapeLabelValue,
  escapeText,
  formatValue,
  type LabelPair,
  defaultsSuffix,
  perRender,
  LineStart,
  labelSuffix,
  type RenderContext,
  type TextFormat,
  type TextWriter,
  withDefaults,
} from './exposition.ts';
import { FIELD, labelFields, type ProtoWriter, writeBucket, writeExemplar, writeTimestamp } from './proto-writer.ts';
import type { Exemplar, TraceContext } from './trace-context.ts';

export { escapeLabelValue, formatValue };

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
  /** Epoch milliseconds: series start times and the reset strategy (tests pass their own). */
  clock?: () => number;
}

export class HistogramSeries {
  readonly labelValues: readonly string[];
  /** [count of bucket 0 … count of bucket n-1, count above the last bound, sum, count]. */
  readonly data: Float64Array;
  readonly native: ExponentialHistogram | undefined;
  /** `method="GET",route="/a",status_code="200"} ` (labelSuffix): encoded once, copied by every text scrape. */
  readonly labelSuffix: Uint8Array;
  readonly labelPairs: LabelPair[];
  /** Its labels as protobuf LabelPair fields, encoded at its first protobuf render. */
  labelFields: string | undefined;
  /** When the series started counting from zero (created or reset), epoch milliseconds. */
  startedAt: number;
  /** When a reset scheduled by the native bucket limit falls due (Infinity: none scheduled). */
  resetDueAt = Number.POSITIVE_INFINITY;
  /** The latest exemplar of each classic bucket (+Inf last); allocated with the first exemplar. */
  bucketExemplars: (Exemplar | undefined)[] | undefined;
  /** The native histogram's exemplars, ordered by value (client_golang's nativeExemplars). */
  nativeExemplars: NativeExemplar[] | undefined;
  private readonly bounds: Float64Array;
  private readonly clock: () => number;

  constructor(
    labelNames: readonly string[],
    labelValues: readonly string[],
    bounds: Float64Array,
    native: NativeSettings | undefined,
    clock: () => number,
  ) {
    this.labelValues = labelValues;
    this.bounds = bounds;
    this.clock = clock;
    this.data = new Float64Array(bounds.length + 3);
    this.native = native && new ExponentialHistogram(native);
    this.labelPairs = labelNames.map((name, i) => ({ name, value: labelValues[i]! }));
    this.labelSuffix = labelSuffix(this.labelPairs);
    this.startedAt = clock();
  }

  /** Counts a value; with the trace of a sampled request, keeps it as an exemplar too (taken at `at`, epoch ms). */
  observe(value: number, trace?: TraceContext, at?: number): void {
    const native = this.native;
    if (native && this.resetDueAt !== Number.POSITIVE_INFINITY) this.resetIfDue();
    const bucket = this.record(value);
    // As client_golang: the bucket limit is checked after every observation but NaN.
    if (native?.overLimit && !Number.isNaN(value)) this.limitBuckets(native, value);
    if (trace) this.keepExemplar(bucket, exemplarOf(trace.traceId, trace.spanId, value, at ?? this.clock()));
  }

  private keepExemplar(bucket: number, exemplar: NativeExemplar): void {
    this.bucketExemplars ??= new Array(this.bounds.length + 1).fill(undefined);
    this.bucketExemplars[bucket] = exemplar;
    if (this.native) {
      this.nativeExemplars ??= [];
      addNativeExemplar(this.nativeExemplars, exemplar, NATIVE_EXEMPLAR_CAPACITY, NATIVE_EXEMPLAR_TTL_MS);
    }
  }

  /** Counts a value; returns its classic bucket (bounds.length: above the last bound). */
  private record(value: number): number {
    const { bounds, data } = this;
    const n = bounds.length;
    let i = 0;
    while (i < n && !(value <= bounds[i]!)) i += 1; // le is inclusive; NaN goes above the last bound
    data[i]! += 1;
    data[n + 1]! += value;
    data[n + 2]! += 1;
    this.native?.add(value);
    return i;
  }

  /**
   * client_golang's strategies, in its order: reset the series if its last reset is at least
   * minResetDuration ago (keeping the latest observation); otherwise schedule that reset, then
   * widen the zero bucket or else halve the resolution.
   */
  private limitBuckets(native: ExponentialHistogram, value: number): void {
    const minReset = native.settings.minResetDurationMs;
    if (minReset > 0 && this.resetDueAt === Number.POSITIVE_INFINITY) {
      const now = this.clock();
      if (now - this.startedAt >= minReset) {
        this.reset(now);
        this.record(value);
        return;
      }
      this.resetDueAt = this.startedAt + minReset;
    }
    native.reduce();
  }

  /** A scheduled reset happens when it falls due; here, at the first observation or read after. */
  resetIfDue(): void {
    if (this.resetDueAt <= this.clock()) this.reset(this.resetDueAt);
  }

  /** Zero counts, the initial schema and zero threshold, and a new start time. */
  reset(now = this.clock()): void {
    this.data.fill(0);
    this.native?.reset();
    this.startedAt = now;
    this.resetDueAt = Number.POSITIVE_INFINITY;
  }

  get sum(): number {
    return this.data[this.bounds.length + 1]!;
  }

  get count(): number {
    return this.data[this.bounds.length + 2]!;
  }
}

export class DurationHistogram implements Exposition {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  readonly labelNames: readonly string[];
  readonly upperBounds: readonly number[];
  readonly native: NativeSettings | undefined;
  /** While on, get() reads as one series without labels (see registryDefaultLabels). */
  probing = false;
  readonly [EXPOSITION]: Exposition = this;
  private readonly bounds: Float64Array;
  private readonly beforeRead: (() => void) | undefined;
  /** Epoch milliseconds, the clock of start times and exemplars. */
  readonly clock: () => number;
  /** Series in creation order (the order prom-client renders them in). */
  private readonly list: HistogramSeries[] = [];
  private readonly byKey = new Map<string, HistogramSeries>();
  /** The starts of its text lines, made at the first text render. */
  private lineStarts: HistogramLineStarts | undefined;
  /** The render's default labels as text line endings (`le` is a series' own label there) and as protobuf fields. */
  private readonly textDefaults = perRender((context) => defaultsSuffix(applicableDefaults(context, [...this.labelNames, 'le'])));
  private readonly protobufDefaults = perRender((context) => labelFields(FIELD.metricLabel, applicableDefaults(context, this.labelNames)));

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
    this.native = options.native === false || options.native === undefined ? undefined : nativeSettings(options.native);
    this.beforeRead = options.beforeRead;
    this.clock = options.clock ?? Date.now;
    for (const registry of options.registers ?? []) registry.registerMetric(this as never);
  }

  /** The initial schema of the native histograms (undefined: classic only). */
  get nativeSchema(): number | undefined {
    return this.native?.schema;
  }

  /** The initial zero threshold of the native histograms. */
  get zeroThreshold(): number | undefined {
    return this.native?.zeroThreshold;
  }

  /** The series of these label values (in labelNames order), created empty if new. */
  series(labelValues: readonly string[]): HistogramSeries {
    const key = labelValues.join('\u0000');
    let series = this.byKey.get(key);
    if (!series) {
      if (labelValues.length !== this.labelNames.length) throw new TypeError(`expected ${this.labelNames.length} label values`);
      series = new HistogramSeries(this.labelNames, labelValues, this.bounds, this.native, this.clock);
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

  /** Runs the read hook (pending series) and any reset that fell due, before a render. */
  prepareRead(): void {
    this.beforeRead?.();
    if (this.native?.minResetDurationMs) for (const series of this.list) series.resetIfDue();
  }

  header(_format: TextFormat): string {
    return `# HELP ${escapeText(this.name)} ${escapeText(this.help)}\n# TYPE ${escapeText(this.name)} histogram`;
  }

  /** Writes the sample lines of series [from, to); OpenMetrics adds each series' `_created`. */
  writeText(writer: TextWriter, format: TextFormat, from: number, to: number, context: RenderContext): void {
    const n = this.bounds.length;
    const defaults = this.textDefaults(context);
    const starts = (this.lineStarts ??= histogramLineStarts(this.name, this.upperBounds));
    const { buckets } = starts;
    const openMetrics = format === 'openmetrics';
    for (let s = from; s < to; s += 1) {
      const series = this.list[s]!;
      const { data } = series;
      const suffix = withDefaults(series.labelSuffix, defaults);
      // Exemplars are OpenMetrics only: the text format has no place for them.
      const exemplars = openMetrics ? series.bucketExemplars : undefined;
      let cumulative = 0;
      for (let i = 0; i < n; i += 1) {
        cumulative += data[i]!;
        buckets[i]!.write(writer, suffix);
        writer.value(cumulative);
        if (exemplars) writer.text(openMetricsExemplar(exemplars[i]));
      }
      buckets[n]!.write(writer, suffix);
      writer.value(data[n + 2]!);
      if (exemplars) writer.text(openMetricsExemplar(exemplars[n]));
      starts.sum.write(writer, suffix);
      writer.value(data[n + 1]!);
      starts.count.write(writer, suffix);
      writer.value(data[n + 2]!);
      if (openMetrics) {
        starts.created.write(writer, suffix);
        writer.value(createdSeconds(series.startedAt));
      }
    }
  }

  /** Series [from, to) as MetricFamily `metric` fields (Metric messages with a Histogram). */
  encodeSeries(writer: ProtoWriter, from: number, to: number, context: RenderContext): void {
    const n = this.bounds.length;
    const bounds = this.bounds;
    const defaults = this.protobufDefaults(context);
    for (let s = from; s < to; s += 1) {
      const series = this.list[s]!;
      const { data } = series;
      const metric = writer.begin(FIELD.familyMetric);
      series.labelFields ??= labelFields(FIELD.metricLabel, series.labelPairs);
      writer.raw(series.labelFields);
      writer.raw(defaults);
      const histogram = writer.begin(FIELD.metricHistogram);
      writer.uint(FIELD.histogramCount, data[n + 2]!);
      writer.double(FIELD.histogramSum, data[n + 1]!);
      const exemplars = series.bucketExemplars;
      let cumulative = 0;
      for (let i = 0; i < n; i += 1) {
        cumulative += data[i]!;
        writeBucket(writer, FIELD.histogramBucket, cumulative, bounds[i]!, exemplars?.[i]);
      }
      // The +Inf bucket is implied, unless it has an exemplar to carry (as client_golang).
      const above = exemplars?.[n];
      if (above) writeBucket(writer, FIELD.histogramBucket, data[n + 2]!, Number.POSITIVE_INFINITY, above);
      const native = series.native;
      if (native) writeNative(writer, native, series.nativeExemplars, series.startedAt);
      else writeTimestamp(writer, FIELD.histogramCreated, series.startedAt);
      writer.end(histogram);
      writer.end(metric);
    }
  }

  /** The series at `index`, in creation order (the order every render lists them in). */
  seriesAt(index: number): HistogramSeries | undefined {
    return this.list[index];
  }

  /** prom-client's metric interface: the samples as its Histogram.get() shapes them. */
  async get() {
    if (this.probing)
      return { name: this.name, help: this.help, type: this.type, values: [{ labels: {}, value: 0 }], aggregator: this.aggregator };
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

  /** Zeroes every series but keeps it (cached series stay valid for their holders); each starts anew. */
  reset(): void {
    const now = this.clock();
    for (const series of this.list) series.reset(now);
  }
}

/**
 * A native histogram's fields, in field-number order: schema, zero bucket, spans and deltas
 * (negative, then positive), the start time, the exemplars. An empty one with a zero threshold
 * of 0 carries one empty span: what marks it native to a reader (as client_golang).
 */
function writeNative(
  writer: ProtoWriter,
  native: ExponentialHistogram,
  exemplars: readonly Exemplar[] | undefined,
  startedAt: number,
): void {
  writer.sint(FIELD.histogramSchema, native.schema);
  writer.double(FIELD.histogramZeroThreshold, native.zeroThreshold);
  writer.uint(FIELD.histogramZeroCount, native.zeroCount);
  const negative = spansOf(native.negative);
  const positive = spansOf(native.positive);
  writeSpans(writer, FIELD.histogramNegativeSpan, FIELD.histogramNegativeDelta, negative);
  if (native.zeroThreshold === 0 && native.zeroCount === 0 && positive.spans.length === 0 && negative.spans.length === 0) {
    writeSpans(writer, FIELD.histogramPositiveSpan, FIELD.histogramPositiveDelta, { spans: [{ offset: 0, length: 0 }], deltas: [] });
  } else writeSpans(writer, FIELD.histogramPositiveSpan, FIELD.histogramPositiveDelta, positive);
  writeTimestamp(writer, FIELD.histogramCreated, startedAt);
  if (exemplars) for (const exemplar of exemplars) writeExemplar(writer, FIELD.histogramExemplars, exemplar);
}

function writeSpans(writer: ProtoWriter, spanField: number, deltaField: number, { spans, deltas }: Spans): void {
  for (const { offset, length } of spans) {
    const span = writer.begin(spanField);
    writer.sint(FIELD.spanOffset, offset);
    writer.uint(FIELD.spanLength, length);
    writer.end(span);
  }
  for (const delta of deltas) writer.sint(deltaField, delta);
}

interface HistogramLineStarts {
  /** One per classic bucket, `le` first as prom-client writes it, +Inf last. */
  buckets: LineStart[];
  sum: LineStart;
  count: LineStart;
  created: LineStart;
}

function histogramLineStarts(name: string, upperBounds: readonly number[]): HistogramLineStarts {
  return {
    buckets: [...upperBounds.map(String), '+Inf'].map((le) => new LineStart(`${name}_bucket`, `le="${le}"`)),
    sum: new LineStart(`${name}_sum`),
    count: new LineStart(`${name}_count`),
    created: new LineStart(`${name}_created`),
  };
}
