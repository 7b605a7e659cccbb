// GET /metrics: the registry in the Prometheus text format, OpenMetrics, or Prometheus'
// protobuf format (native histograms need it), whichever the scraper's Accept ranks first.
import { Readable } from 'node:stream';
import { Registry, type RegistryContentType } from 'prom-client';
import {
  type Exposition,
  expositionOf,
  type RenderContext,
  registryDefaultLabels,
  seriesChunks,
  type TextFormat,
  TextWriter,
} from './exposition.ts';
import { encodeFamilyHeader, encodePromClientFamily, lengthPrefix, PROTOBUF_CONTENT_TYPE, type RegistryMetric } from './protobuf.ts';
import { ProtoWriter } from './proto-writer.ts';

export type ExpositionFormat = 'text' | 'openmetrics' | 'protobuf';

/** What a scrape needs of a Koa context, typed here so that the core's declarations need no koa types. */
export interface ScrapeContext {
  path: string;
  method: string;
  get(field: string): string;
  set(field: string, value: string): void;
  body: unknown;
}

/** The Koa middleware's shape, typed here for the same reason. */
type Middleware = (ctx: ScrapeContext, next: () => Promise<unknown>) => Promise<unknown>;

export function metricsEndpoint(registry: Registry<RegistryContentType>, path = '/metrics'): Middleware {
  const serve = metricsHandler(registry);
  return async function serveMetrics(ctx, next) {
    if (ctx.path !== path || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    return serve(ctx);
  };
}

/** Answers one scrape, whatever its path: what `metricsEndpoint` calls for its own path. */
export function metricsHandler(registry: Registry<RegistryContentType>): (ctx: ScrapeContext) => Promise<void> {
  const render = streamingRenderer(registry);
  return async function answerScrape(ctx) {
    const { contentType, body } = await render(negotiateFormat(ctx.get('accept')));
    ctx.set('Content-Type', contentType);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = body;
  };
}

/**
 * The CPU a slice of a render may take before it gives the event loop a turn: requests that
 * arrived meanwhile are served before the next slice, so a scrape of any size delays them by
 * about this much at a time (GC pauses aside).
 */
export const SLICE_BUDGET_MS = 0.5;
/** Series rendered between two reads of the clock (a few µs of work each). */
const STEP_SERIES = 8;
/** Bytes of text or protobuf gathered into one chunk of the body before it is handed on. */
const CHUNK_BYTES = 64 * 1024;
/** Lets requests that arrived during a render be served before the next slice. */
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface Rendering {
  contentType: string;
  /**
   * The body, produced slice by slice as the client reads it (a chunk ahead at most). Its
   * chunks are strings of whole lines for the text formats (written as UTF-8, as any Node
   * writable writes a string) and Buffers for protobuf.
   */
  body: Readable;
}

/** What one render needs of the registry: the default labels, learnt once per render. */
export async function renderContext(registry: Registry<RegistryContentType>): Promise<RenderContext> {
  const probe = registry
    .getMetricsAsArray()
    .map(expositionOf)
    .find((exposition) => exposition !== undefined);
  return { defaultLabels: probe ? await registryDefaultLabels(registry, probe) : [] };
}

/** A render's plan, in registry order: metrics redline renders as it streams, the rest already formatted. */
type Entry = { exposition: Exposition } | { formatted: string | Uint8Array };

interface Plan {
  context: RenderContext;
  entries: Entry[];
}

/**
 * Renders /metrics as a stream, in any format. prom-client 15 renders OpenMetrics by renaming
 * counters in place (`http_requests_total` becomes `http_requests`) and never renames them
 * back, so the text format would lose `_total` after the first OpenMetrics scrape. The metrics
 * prom-client formats (process_*, nodejs_*, redline_*: a few dozen series) are therefore
 * formatted first, one scrape at a time, with the names restored after each; the queue is
 * held for that part only. prometheus/client_js#829
 * (https://github.com/prometheus/client_js/pull/829) computes the name per render instead:
 * this workaround can go with the prom-client release that ships it.
 *
 * The metrics redline owns (the RED counters and histogram) are then rendered through their
 * exposition (label suffixes encoded once) while the body streams: a few series at a time, a slice
 * ending after SLICE_BUDGET_MS of work or CHUNK_BYTES of text, the event loop free between
 * slices, and each slice handed to the socket as it is made, pulled at the pace the client
 * reads (a 1M-sample registry never exists as one string). The bytes are exactly those of
 * rendering the whole payload at once for the same state (test: endpoint-streaming.test.ts).
 * Protobuf writes a family's length before its series, so a family's encoding (about a fifth
 * of its text) is gathered, in slices, before it is handed on (protobufChunks).
 */
export function streamingRenderer(registry: Registry<RegistryContentType>) {
  let queue: Promise<unknown> = Promise.resolve();
  const plan = async (format: ExpositionFormat): Promise<Plan> => {
    const context = await renderContext(registry);
    const openMetrics = format === 'openmetrics';
    const metrics = registry.getMetricsAsArray() as unknown as RegistryMetric[];
    const names = metrics.map((metric) => metric.name);
    if (openMetrics) registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never);
    try {
      const entries: Entry[] = [];
      for (const [index, metric] of metrics.entries()) {
        const exposition = expositionOf(metric);
        if (exposition) entries.push({ exposition });
        else if (format === 'protobuf') entries.push({ formatted: await encodePromClientFamily(metric) });
        else {
          if (openMetrics && metric.type === 'counter') metric.name = metric.name.replace(/_total$/, '');
          entries.push({ formatted: await registry.getSingleMetricAsString(names[index]!) });
        }
      }
      return { context, entries };
    } finally {
      if (openMetrics) registry.setContentType(Registry.PROMETHEUS_CONTENT_TYPE as never);
      for (const [index, metric] of metrics.entries()) metric.name = names[index]!;
    }
  };
  return async (format: ExpositionFormat): Promise<Rendering> => {
    const planned = queue.then(() => plan(format));
    queue = planned.catch(() => undefined);
    const ready = await planned;
    const body =
      format === 'protobuf'
        ? Readable.from(protobufChunks(ready), { objectMode: false })
        : // Strings need object mode, or the stream would turn each into a Buffer; one chunk buffered ahead.
          Readable.from(textChunks(ready, format), { objectMode: true, highWaterMark: 1 });
    return { contentType: CONTENT_TYPES[format], body };
  };
}

const CONTENT_TYPES: Record<ExpositionFormat, string> = {
  text: Registry.PROMETHEUS_CONTENT_TYPE,
  openmetrics: Registry.OPENMETRICS_CONTENT_TYPE,
  protobuf: PROTOBUF_CONTENT_TYPE,
};

/** The text formats: families joined as prom-client's registry.metrics() joins them. */
async function* textChunks({ context, entries }: Plan, format: TextFormat): AsyncGenerator<string> {
  const openMetrics = format === 'openmetrics';
  const writer = new TextWriter();
  let sliceStarted = performance.now();
  for (const [index, entry] of entries.entries()) {
    if (index > 0) writer.text(openMetrics ? '\n' : '\n\n');
    if ('formatted' in entry) {
      writer.text(entry.formatted as string);
      continue;
    }
    const { exposition } = entry;
    exposition.prepareRead();
    writer.text(exposition.header(format));
    for (const [from, to] of seriesChunks(exposition.seriesCount, STEP_SERIES)) {
      exposition.writeText(writer, format, from, to, context);
      if (writer.length >= CHUNK_BYTES || performance.now() - sliceStarted >= SLICE_BUDGET_MS) {
        yield writer.take();
        await yieldToLoop();
        sliceStarted = performance.now();
      }
    }
  }
  writer.text(openMetrics ? '\n# EOF\n' : '\n');
  yield writer.take();
}

/**
 * Delimited MetricFamily messages. A family redline renders is encoded a few series at a time
 * into chunks of about CHUNK_BYTES; its length comes first, so its chunks are sent once it is
 * whole (about a fifth of its text; a snapshot of the counts to size it first would be as
 * large, since the varints' sizes change as requests are counted).
 */
async function* protobufChunks({ context, entries }: Plan): AsyncGenerator<Uint8Array> {
  let sliceStarted = performance.now();
  const breathe = async () => {
    if (performance.now() - sliceStarted < SLICE_BUDGET_MS) return;
    await yieldToLoop();
    sliceStarted = performance.now();
  };
  for (const entry of entries) {
    if ('formatted' in entry) {
      yield entry.formatted as Uint8Array;
      continue;
    }
    const { exposition } = entry;
    exposition.prepareRead();
    const header = encodeFamilyHeader(exposition);
    const writer = new ProtoWriter(CHUNK_BYTES + CHUNK_BYTES / 4);
    const chunks: Buffer[] = [];
    let length = header.byteLength;
    for (const [from, to] of seriesChunks(exposition.seriesCount, STEP_SERIES)) {
      exposition.encodeSeries(writer, from, to, context);
      if (writer.length >= CHUNK_BYTES) {
        length += writer.length;
        chunks.push(writer.take());
      }
      await breathe();
    }
    length += writer.length;
    chunks.push(writer.take(true));
    yield Buffer.concat([lengthPrefix(length), header]);
    // Each chunk is released once written.
    for (let i = 0; i < chunks.length; i += 1) {
      const chunk = chunks[i]!;
      chunks[i] = EMPTY;
      yield chunk;
      await breathe();
    }
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * The whole payload of one render, gathered from its stream (tools, tests, the render
 * benchmark): the text formats as a string, protobuf as bytes.
 */
export function serialRenderer(registry: Registry<RegistryContentType>) {
  const render = streamingRenderer(registry);
  return async (format: ExpositionFormat): Promise<{ contentType: string; body: string | Uint8Array }> => {
    const { contentType, body } = await render(format);
    const chunks: (string | Buffer)[] = [];
    for await (const chunk of body) chunks.push(chunk as string | Buffer);
    return { contentType, body: format === 'protobuf' ? Buffer.concat(chunks as Buffer[]) : (chunks as string[]).join('') };
  };
}

interface Ranked {
  type: string;
  q: number;
  params: string[];
}

function parseAccept(accept: string): Ranked[] {
  return accept.split(',').map((part) => {
    const [type = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith('q='));
    return { type, q: qParam ? Number(qParam.slice(2)) || 0 : 1, params: params.map((p) => p.replace(/\s+/g, '')) };
  });
}

/**
 * The format an Accept header ranks highest. Scrapers send versioned media types
 * (`application/openmetrics-text;version=1.0.0;q=0.5`), which generic negotiation would not
 * match against an unversioned offer. Protobuf must name the MetricFamily delimited encoding.
 * Ties go to the richer format: protobuf, then OpenMetrics, then text.
 */
export function negotiateFormat(accept: string): ExpositionFormat {
  let protobufQ = 0;
  let openMetrics = 0;
  let text = 0;
  for (const { type, q, params } of parseAccept(accept)) {
    if (type === 'application/vnd.google.protobuf') {
      if (params.includes('proto=io.prometheus.client.metricfamily') && params.includes('encoding=delimited'))
        protobufQ = Math.max(protobufQ, q);
    } else if (type === 'application/openmetrics-text') openMetrics = Math.max(openMetrics, q);
    else if (type === 'text/plain' || type === '*/*') text = Math.max(text, q);
  }
  if (protobufQ > 0 && protobufQ >= openMetrics && protobufQ >= text) return 'protobuf';
  if (openMetrics > 0 && openMetrics >= text) return 'openmetrics';
  return 'text';
}

/** Whether an Accept header ranks OpenMetrics at least as high as the text format. */
export function prefersOpenMetrics(accept: string): boolean {
  return negotiateFormat(accept.replace(/application\/vnd\.google\.protobuf[^,]*/gi, '')) === 'openmetrics';
}
