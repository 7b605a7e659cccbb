// GET /metrics: the registry in the Prometheus text format, OpenMetrics, or Prometheus'
// protobuf format (native histograms need it), whichever the scraper's Accept ranks first.
import type { Context, Middleware } from 'koa';
import { Registry, type RegistryContentType } from 'prom-client';
import { type Exposition, expositionOf, type RenderContext, registryDefaultLabels, seriesChunks } from './exposition.ts';
import { PROTOBUF_CONTENT_TYPE, renderProtobuf } from './protobuf.ts';

export type ExpositionFormat = 'text' | 'openmetrics' | 'protobuf';

export function metricsEndpoint(registry: Registry<RegistryContentType>, path = '/metrics'): Middleware {
  const serve = metricsHandler(registry);
  return async function serveMetrics(ctx, next) {
    if (ctx.path !== path || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    return serve(ctx);
  };
}

/** Answers one scrape, whatever its path: what `metricsEndpoint` calls for its own path. */
export function metricsHandler(registry: Registry<RegistryContentType>): (ctx: Context) => Promise<void> {
  const render = serialRenderer(registry);
  return async function answerScrape(ctx) {
    const { contentType, body } = await render(negotiateFormat(ctx.get('accept')));
    ctx.set('Content-Type', contentType);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  };
}

/** Series of an owned metric rendered between two turns of the event loop. */
const SLICE_SERIES = 100;
/** Lets requests that arrived during a render be served before the next slice. */
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Rendered {
  contentType: string;
  body: string | Uint8Array;
}

/** What one render needs of the registry: the default labels, learnt once per render. */
export async function renderContext(registry: Registry<RegistryContentType>): Promise<RenderContext> {
  const probe = registry
    .getMetricsAsArray()
    .map(expositionOf)
    .find((exposition) => exposition !== undefined);
  return { defaultLabels: probe ? await registryDefaultLabels(registry, probe) : [] };
}

/**
 * Renders one scrape at a time, in any format. prom-client 15 renders OpenMetrics by
 * renaming counters in place (`http_requests_total` becomes `http_requests`) and never
 * renames them back, so the text format would lose `_total` after the first OpenMetrics
 * scrape. Each render here restores the names, and scrapes are serialised so none sees
 * another's renamed metrics. Scrapes come every few seconds: the queue costs nothing.
 * prometheus/client_js#829 (https://github.com/prometheus/client_js/pull/829) computes the
 * name per render instead: this workaround can go with the prom-client release that ships it.
 *
 * The metrics redline owns (the RED counters and histogram) render themselves through their
 * exposition, from cached label text, in slices with the event loop free between them, so a
 * large registry does not stall requests; every other metric is formatted by prom-client
 * exactly as `registry.metrics()` would.
 */
export function serialRenderer(registry: Registry<RegistryContentType>) {
  let queue: Promise<unknown> = Promise.resolve();
  const renderNow = async (format: ExpositionFormat): Promise<Rendered> => {
    const context = await renderContext(registry);
    if (format === 'protobuf') return { contentType: PROTOBUF_CONTENT_TYPE, body: await renderProtobuf(registry, yieldToLoop, context) };
    const openMetrics = format === 'openmetrics';
    const metrics = registry.getMetricsAsArray() as unknown as { name: string; type: string }[];
    const names = metrics.map((metric) => metric.name);
    if (openMetrics) registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never);
    try {
      const parts: string[] = [];
      for (const [index, metric] of metrics.entries()) {
        const exposition = expositionOf(metric);
        if (exposition) {
          parts.push(await renderSliced(exposition, format === 'openmetrics' ? 'openmetrics' : 'text', context));
          continue;
        }
        if (openMetrics && metric.type === 'counter') metric.name = metric.name.replace(/_total$/, '');
        parts.push(await registry.getSingleMetricAsString(names[index]!));
      }
      return openMetrics
        ? { contentType: Registry.OPENMETRICS_CONTENT_TYPE, body: `${parts.join('\n')}\n# EOF\n` }
        : { contentType: Registry.PROMETHEUS_CONTENT_TYPE, body: `${parts.join('\n\n')}\n` };
    } finally {
      if (openMetrics) registry.setContentType(Registry.PROMETHEUS_CONTENT_TYPE as never);
      for (const [index, metric] of metrics.entries()) metric.name = names[index]!;
    }
  };
  return (format: ExpositionFormat) => {
    const rendered = queue.then(() => renderNow(format));
    queue = rendered.catch(() => undefined);
    return rendered;
  };
}

async function renderSliced(exposition: Exposition, format: 'text' | 'openmetrics', context: RenderContext): Promise<string> {
  exposition.prepareRead();
  let text = exposition.header(format);
  let first = true;
  for (const [from, to] of seriesChunks(exposition.seriesCount, SLICE_SERIES)) {
    if (!first) await yieldToLoop();
    first = false;
    text += exposition.textLines(format, from, to, context);
  }
  return text;
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
