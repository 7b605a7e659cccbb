// A counter whose storage redline owns, as the duration histogram's is: a plain number per
// label set and the series' start time. It plugs into a prom-client registry as a metric
// (name, help, type, get, reset, labels().inc()), and the /metrics endpoint renders it through
// its exposition: OpenMetrics with `_created`, protobuf with the start timestamp, which
// prom-client's Counter has neither of.
import type { Registry } from 'prom-client';
import { openMetricsExemplar } from './exemplars.ts';
import {
  applicableDefaults,
  createdSeconds,
  EXPOSITION,
  type Exposition,
  escapeText,
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
import { FIELD, labelFields, type ProtoWriter, writeExemplar, writeTimestamp } from './proto-writer.ts';
import type { Exemplar, TraceContext } from './trace-context.ts';

export interface CounterFamilyOptions {
  /** The full name, ending in `_total`. */
  name: string;
  help: string;
  labelNames: string[];
  registers?: Registry[];
  /** Runs before every read (render, get), e.g. to create pending series. */
  beforeRead?: () => void;
  /** Epoch milliseconds: series start times (tests pass their own). */
  clock?: () => number;
}

export class CounterSeries {
  value = 0;
  /** When the series started counting from zero (created or reset), epoch milliseconds. */
  startedAt: number;
  /** The latest increment with a sampled trace. */
  exemplar: Exemplar | undefined;
  readonly labelValues: readonly string[];
  readonly labelPairs: LabelPair[];
  /** `method="GET",route="/a"} ` (labelSuffix): encoded once, copied by every text scrape. */
  readonly labelSuffix: Uint8Array;
  /** Its labels as protobuf LabelPair fields, encoded at its first protobuf render. */
  labelFields: string | undefined;

  constructor(labelNames: readonly string[], labelValues: readonly string[], startedAt: number) {
    this.labelValues = labelValues;
    this.labelPairs = labelNames.map((name, i) => ({ name, value: labelValues[i]! }));
    this.labelSuffix = labelSuffix(this.labelPairs);
    this.startedAt = startedAt;
  }

  /** prom-client's Counter.inc: by 1, or by a finite amount >= 0. */
  inc(amount = 1): void {
    if (!(amount >= 0 && amount < Number.POSITIVE_INFINITY)) throw new RangeError(`a counter only goes up (inc(${amount}))`);
    this.value += amount;
  }
}

export class CounterFamily implements Exposition {
  /** prom-client renames counters in place for OpenMetrics; the renders use `totalName`. */
  name: string;
  readonly help: string;
  readonly type = 'counter' as const;
  readonly aggregator = 'sum' as const;
  readonly labelNames: readonly string[];
  probing = false;
  readonly [EXPOSITION]: Exposition = this;
  private readonly totalName: string;
  private readonly baseName: string;
  private readonly beforeRead: (() => void) | undefined;
  private readonly clock: () => number;
  /** Series in creation order (the order prom-client renders them in). */
  private readonly list: CounterSeries[] = [];
  private readonly byKey = new Map<string, CounterSeries>();
  /** The starts of its text lines, made at the first text render. */
  private lineStarts: { total: LineStart; created: LineStart } | undefined;
  /** The render's default labels as text line endings and as protobuf fields. */
  private readonly textDefaults = perRender((context) => defaultsSuffix(applicableDefaults(context, this.labelNames)));
  private readonly protobufDefaults = perRender((context) => labelFields(FIELD.metricLabel, applicableDefaults(context, this.labelNames)));

  constructor(options: CounterFamilyOptions) {
    if (!options.name.endsWith('_total')) throw new TypeError(`counter name ${options.name} must end in _total`);
    this.name = options.name;
    this.totalName = options.name;
    this.baseName = options.name.slice(0, -'_total'.length);
    this.help = options.help;
    this.labelNames = [...options.labelNames];
    this.beforeRead = options.beforeRead;
    this.clock = options.clock ?? Date.now;
    for (const registry of options.registers ?? []) registry.registerMetric(this as never);
  }

  /** The series of these label values (in labelNames order), created at zero if new. */
  series(labelValues: readonly string[]): CounterSeries {
    const key = labelValues.join('\u0000');
    let series = this.byKey.get(key);
    if (!series) {
      if (labelValues.length !== this.labelNames.length) throw new TypeError(`expected ${this.labelNames.length} label values`);
      series = new CounterSeries(this.labelNames, labelValues, this.clock());
      this.byKey.set(key, series);
      this.list.push(series);
    }
    return series;
  }

  /** Adds 1 to a series; with the trace of a sampled request, keeps it as the series' exemplar. */
  increment(series: CounterSeries, trace: TraceContext | undefined, at = this.clock()): void {
    series.value += 1;
    if (trace) series.exemplar = { traceId: trace.traceId, spanId: trace.spanId, value: 1, at };
  }

  /** prom-client's `labels(...)`: a child to count through (a lookup per call). */
  labels(...labelValues: string[]): { inc(amount?: number): void } {
    return this.series(labelValues);
  }

  get seriesCount(): number {
    return this.list.length;
  }

  prepareRead(): void {
    this.beforeRead?.();
  }

  /** prom-client's header: OpenMetrics names the family without `_total`. */
  header(format: TextFormat): string {
    const name = escapeText(format === 'openmetrics' ? this.baseName : this.totalName);
    return `# HELP ${name} ${escapeText(this.help)}\n# TYPE ${name} counter`;
  }

  writeText(writer: TextWriter, format: TextFormat, from: number, to: number, context: RenderContext): void {
    const defaults = this.textDefaults(context);
    const starts = (this.lineStarts ??= {
      total: new LineStart(this.totalName),
      created: new LineStart(`${this.baseName}_created`),
    });
    for (let s = from; s < to; s += 1) {
      const series = this.list[s]!;
      const suffix = withDefaults(series.labelSuffix, defaults);
      starts.total.write(writer, suffix);
      writer.value(series.value);
      if (format === 'openmetrics') {
        writer.text(openMetricsExemplar(series.exemplar));
        starts.created.write(writer, suffix);
        writer.value(createdSeconds(series.startedAt));
      }
    }
  }

  encodeSeries(writer: ProtoWriter, from: number, to: number, context: RenderContext): void {
    const defaults = this.protobufDefaults(context);
    for (let s = from; s < to; s += 1) {
      const series = this.list[s]!;
      const metric = writer.begin(FIELD.familyMetric);
      series.labelFields ??= labelFields(FIELD.metricLabel, series.labelPairs);
      writer.raw(series.labelFields);
      writer.raw(defaults);
      const counter = writer.begin(FIELD.metricCounter);
      writer.double(FIELD.counterValue, series.value);
      if (series.exemplar) writeExemplar(writer, FIELD.counterExemplar, series.exemplar);
      writeTimestamp(writer, FIELD.counterCreated, series.startedAt);
      writer.end(counter);
      writer.end(metric);
    }
  }

  /** The series at `index`, in creation order (the order every render lists them in). */
  seriesAt(index: number): CounterSeries | undefined {
    return this.list[index];
  }

  /** prom-client's metric interface: the samples as its Counter.get() shapes them. */
  async get() {
    if (this.probing)
      return { name: this.name, help: this.help, type: this.type, values: [{ labels: {}, value: 0 }], aggregator: this.aggregator };
    this.prepareRead();
    const values = this.list.map((series) => {
      const labels: Record<string, string> = {};
      for (const [i, name] of this.labelNames.entries()) labels[name] = series.labelValues[i]!;
      return { value: series.value, labels };
    });
    return { help: this.help, name: this.name, type: this.type, values, aggregator: this.aggregator };
  }

  /** Zeroes every series but keeps it (cached series stay valid for their holders); each starts anew. */
  reset(): void {
    const now = this.clock();
    for (const series of this.list) {
      series.value = 0;
      series.startedAt = now;
    }
  }
}
