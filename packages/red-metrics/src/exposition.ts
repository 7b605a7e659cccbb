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
  /** The sample lines of series [from, to), each preceded by a newline. */
  textLines(format: TextFormat, from: number, to: number, context: RenderContext): string;
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

/**
 * A copy of `text` in one piece. V8 keeps `a + b` as a rope (a tree of the pieces) that
 * Buffer.from walks leaf by leaf, so a string every scrape reuses is made flat once: walking
 * ropes was most of a 100k-sample text render's CPU.
 */
function flat(text: string): string {
  return Buffer.from(text).toString();
}

/**
 * A series' labels as its sample lines end them, `a="1",b="2"} `, made flat once; '' for a
 * series without labels. A line is then `LineStart` + this + the value: three pieces.
 */
export function labelSuffix(pairs: readonly LabelPair[]): string {
  const text = labelText(pairs);
  return text === '' ? '' : flat(`${text}} `);
}

/** A series' label suffix with the render's default labels, which prom-client writes after the series' own. */
export function withDefaults(suffix: string, defaults: string): string {
  if (defaults === '') return suffix;
  return suffix === '' ? `${defaults}} ` : `${suffix.slice(0, -2)},${defaults}} `;
}

/**
 * The start of a family's sample lines before a series' own labels: `open` (`\nname{le="1",`
 * or `\nname{`) for a series with labels, `bare` (`\nname{le="1"} ` or `\nname `) for one without.
 */
export class LineStart {
  readonly open: string;
  readonly bare: string;

  constructor(name: string, first = '') {
    this.open = flat(first === '' ? `\n${name}{` : `\n${name}{${first},`);
    this.bare = flat(first === '' ? `\n${name} ` : `\n${name}{${first}} `);
  }

  /** This start with a series' label suffix (with defaults): all of the line but its value. */
  of(suffix: string): string {
    return suffix === '' ? this.bare : this.open + suffix;
  }
}

/**
 * The default labels that apply to a metric's series: prom-client lets a series' own label
 * win over a default label of the same name, and writes the others after the series' labels.
 */
export function applicableDefaults(context: RenderContext, own: readonly string[]): LabelPair[] {
  return context.defaultLabels.filter(({ name }) => !own.includes(name));
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
