// The one rendering interface of the metrics redline owns (the RED counters and the duration
// histogram): each renders its own series in the text formats and as protobuf messages, a
// range of series at a time, so a caller can render a family in chunks and give the event
// loop a turn between them. The endpoint finds it under a symbol, not by class: any metric
// that carries one is rendered through it, every other metric of the registry by prom-client.
import type { Registry, RegistryContentType } from 'prom-client';
import type { ProtoWriter } from './proto-writer.ts';

export type TextFormat = 'text' | 'openmetrics';

export interface LabelPair {
  name: string;
  value: string;
}

/** What a render adds to every series: the registry's default labels. */
export interface RenderContext {
  defaultLabels: LabelPair[];
}

export const NO_DEFAULT_LABELS: RenderContext = { defaultLabels: [] };

export interface Exposition {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  /** While on, the metric's prom-client get() reads as one series without labels (registryDefaultLabels). */
  probing: boolean;
  /** Brings the series up to date before a read (series created late, resets that fell due). */
  prepareRead(): void;
  readonly seriesCount: number;
  /** `# HELP` and `# TYPE`, as prom-client writes them for the format. */
  header(format: TextFormat): string;
  /** Writes the sample lines of series [from, to), each preceded by a newline. */
  writeText(writer: TextWriter, format: TextFormat, from: number, to: number, context: RenderContext): void;
  /** Series [from, to) as protobuf MetricFamily `metric` fields (Metric messages). */
  encodeSeries(writer: ProtoWriter, from: number, to: number, context: RenderContext): void;
}

export const EXPOSITION: unique symbol = Symbol('redline.metrics.exposition');

/** The exposition of a registry metric that renders itself, if it does. */
export function expositionOf(metric: unknown): Exposition | undefined {
  return (metric as { [EXPOSITION]?: Exposition } | null)?.[EXPOSITION];
}

/** [from, to) ranges of at most `size` series: the chunks a render may yield between. */
export function* seriesChunks(count: number, size: number): Generator<[number, number]> {
  for (let from = 0; from < count; from += size) yield [from, Math.min(from + size, count)];
}

/** prom-client's number formatting, so the text output is byte-identical to its own. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'Nan';
  if (!Number.isFinite(value)) return value < 0 ? '-Inf' : '+Inf';
  return `${value}`;
}

/** prom-client's label value escaping. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** prom-client's `# HELP` / `# TYPE` text escaping. */
export function escapeText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** `name="value",…` as prom-client writes a label set. */
export function labelText(pairs: readonly LabelPair[]): string {
  return pairs.map(({ name, value }) => `${name}="${escapeLabelValue(value)}"`).join(',');
}

/** The writer's buffer starts this size; a chunk of the body is taken from it before it fills (see the endpoint). */
const TEXT_WRITER_CAPACITY = 80 * 1024;

/**
 * The text formats' bytes, written into one buffer as protobuf is into a ProtoWriter: a line is
 * copied from pieces encoded ahead (the family's line start, the series' label suffix) and its
 * value's digits. Building lines as strings spent most of a 100k-sample render flattening and
 * encoding them again on every scrape (V8 keeps `a + b` as a rope, which Buffer.from walks).
 *
 * A chunk is taken as a string and the buffer reused: a string lives on the V8 heap and dies
 * young, while a Buffer per chunk is an ArrayBuffer whose bytes V8 counts as external memory;
 * 10 MB of them per scrape started a full mark-compact on every 100k-sample scrape, with pauses
 * of up to 8 ms. Chunks end only between lines, so each is whole UTF-8.
 */
export class TextWriter {
  private buffer: Buffer;
  private position = 0;

  constructor(capacity = TEXT_WRITER_CAPACITY) {
    this.buffer = Buffer.allocUnsafe(capacity);
  }

  /** Bytes written since the last take. */
  get length(): number {
    return this.position;
  }

  /** Bytes encoded ahead: a line start, a label suffix. */
  bytes(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buffer.set(bytes, this.position);
    this.position += bytes.length;
  }

  /** Any string, as UTF-8. */
  text(text: string): void {
    this.ensure(text.length * 3);
    this.position += this.buffer.write(text, this.position, 'utf8');
  }

  /** A sample value as prom-client writes it (formatValue): counts digit by digit, without making a string. */
  value(value: number): void {
    if (!(value >= 0 && value <= Number.MAX_SAFE_INTEGER && Math.floor(value) === value)) {
      const text = formatValue(value);
      this.ensure(text.length);
      this.position += this.buffer.write(text, this.position, 'latin1');
      return;
    }
    let digits = 1;
    for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits += 1;
    this.ensure(digits);
    const buffer = this.buffer;
    let at = this.position + digits;
    this.position = at;
    let rest = value;
    do {
      const digit = rest % 10;
      buffer[--at] = 48 + digit;
      rest = (rest - digit) / 10;
    } while (rest > 0);
  }

  /** What was written since the last take, as one chunk of the body (text); writing starts again at the buffer's start. */
  take(): string {
    const chunk = this.buffer.toString('utf8', 0, this.position);
    this.position = 0;
    return chunk;
  }

  private ensure(extra: number): void {
    if (this.position + extra <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.position + extra));
    this.buffer.copy(grown, 0, 0, this.position);
    this.buffer = grown;
  }
}

const NO_BYTES = new Uint8Array(0);

/**
 * A series' labels as its sample lines end them, `a="1",b="2"} `, encoded once; empty for a
 * series without labels. A line is then its `LineStart`, this, and the value.
 */
export function labelSuffix(pairs: readonly LabelPair[]): Uint8Array {
  const text = labelText(pairs);
  return text === '' ? NO_BYTES : Buffer.from(`${text}} `);
}

/** A render's default labels as they end a line: alone (`d="x"} `) or after a series' own (`,d="x"} `). */
export interface DefaultsSuffix {
  alone: Uint8Array;
  after: Uint8Array;
}

/** The default labels' suffixes, once per render of a family; undefined without default labels. */
export function defaultsSuffix(defaults: readonly LabelPair[]): DefaultsSuffix | undefined {
  const text = labelText(defaults);
  return text === '' ? undefined : { alone: Buffer.from(`${text}} `), after: Buffer.from(`,${text}} `) };
}

/** A series' label suffix with the render's default labels, which prom-client writes after the series' own. */
export function withDefaults(suffix: Uint8Array, defaults: DefaultsSuffix | undefined): Uint8Array {
  if (!defaults) return suffix;
  return suffix.length === 0 ? defaults.alone : Buffer.concat([suffix.subarray(0, suffix.length - 2), defaults.after]);
}

/**
 * The start of a family's sample lines before a series' own labels, encoded once: `open`
 * (`\nname{le="1",` or `\nname{`) for a series with labels, `bare` (`\nname{le="1"} ` or
 * `\nname `) for one without.
 */
export class LineStart {
  readonly open: Uint8Array;
  readonly bare: Uint8Array;

  constructor(name: string, first = '') {
    this.open = Buffer.from(first === '' ? `\n${name}{` : `\n${name}{${first},`);
    this.bare = Buffer.from(first === '' ? `\n${name} ` : `\n${name}{${first}} `);
  }

  /** Writes all of a line but its value: this start and a series' label suffix (with defaults). */
  write(writer: TextWriter, suffix: Uint8Array): void {
    if (suffix.length === 0) writer.bytes(this.bare);
    else {
      writer.bytes(this.open);
      writer.bytes(suffix);
    }
  }
}

/**
 * The default labels that apply to a metric's series: prom-client lets a series' own label
 * win over a default label of the same name, and writes the others after the series' labels.
 */
export function applicableDefaults(context: RenderContext, own: readonly string[]): LabelPair[] {
  return context.defaultLabels.filter(({ name }) => !own.includes(name));
}

/**
 * A value a family derives from the render context (its default labels, encoded), made once per
 * render: the context is made once per render, and a family is written a few series at a time.
 */
export function perRender<T>(make: (context: RenderContext) => T): (context: RenderContext) => T {
  let made: { context: RenderContext; value: T } | undefined;
  return (context) => {
    if (made?.context !== context) made = { context, value: make(context) };
    return made.value;
  };
}

/** Seconds since the epoch, as OpenMetrics writes a `_created` sample. */
export function createdSeconds(milliseconds: number): number {
  return milliseconds / 1000;
}

/**
 * The registry's default labels (`registry.setDefaultLabels`). prom-client has no getter, so
 * this asks its own public formatter: `probe` is a registered metric that, while `probing`
 * is on, reads as one series without labels; the labels on its rendered line are the defaults.
 */
export async function registryDefaultLabels(
  registry: Registry<RegistryContentType>,
  probe: { name: string; probing: boolean },
): Promise<LabelPair[]> {
  probe.probing = true;
  let text: string;
  try {
    text = await registry.getSingleMetricAsString(probe.name);
  } finally {
    probe.probing = false;
  }
  const line = text.slice(text.lastIndexOf('\n') + 1);
  const open = line.indexOf('{');
  if (open < 0) return [];
  const pairs: LabelPair[] = [];
  for (const match of line.slice(open).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
    pairs.push({ name: match[1]!, value: match[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)) });
  }
  return pairs;
}
