// GET /metrics: the registry in the Prometheus text format, or OpenMetrics when the scraper
// prefers it (Prometheus 2 and 3 do by default).
import type { Middleware } from 'koa';
import { Registry, type Metric, type RegistryContentType } from 'prom-client';

export function metricsEndpoint(registry: Registry<RegistryContentType>, path = '/metrics'): Middleware {
  const render = serialRenderer(registry);
  return async function serveMetrics(ctx, next) {
    if (ctx.path !== path || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    const { contentType, body } = await render(prefersOpenMetrics(ctx.get('accept')));
    ctx.set('Content-Type', contentType);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = body;
  };
}

/**
 * Renders one scrape at a time, in either format. prom-client 15 renders OpenMetrics by
 * renaming counters in place (`http_requests_total` becomes `http_requests`) and never
 * renames them back, so the text format would lose `_total` after the first OpenMetrics
 * scrape. Each render here restores the names, and scrapes are serialised so none sees
 * another's renamed metrics. Scrapes come every few seconds: the queue costs nothing.
 * prometheus/client_js#829 (https://github.com/prometheus/client_js/pull/829) computes the
 * name per render instead: this workaround can go with the prom-client release that ships it.
 */
export function serialRenderer(registry: Registry<RegistryContentType>) {
  let queue: Promise<unknown> = Promise.resolve();
  const renderNow = async (openMetrics: boolean) => {
    if (!openMetrics) return { contentType: Registry.PROMETHEUS_CONTENT_TYPE, body: await registry.metrics() };
    const metrics = registry.getMetricsAsArray() as unknown as (Metric & { name: string })[];
    const names = metrics.map((metric) => metric.name);
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never);
    try {
      return { contentType: Registry.OPENMETRICS_CONTENT_TYPE, body: await registry.metrics() };
    } finally {
      registry.setContentType(Registry.PROMETHEUS_CONTENT_TYPE as never);
      metrics.forEach((metric, index) => (metric.name = names[index]!));
    }
  };
  return (openMetrics: boolean) => {
    const rendered = queue.then(() => renderNow(openMetrics));
    queue = rendered.catch(() => undefined);
    return rendered;
  };
}

/**
 * Whether an Accept header ranks OpenMetrics at least as high as the text format. Scrapers
 * send versioned media types (`application/openmetrics-text;version=1.0.0;q=0.5`), which
 * generic negotiation would not match against an unversioned offer.
 */
export function prefersOpenMetrics(accept: string): boolean {
  let openMetrics = 0;
  let text = 0;
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) || 0 : 1;
    if (type === 'application/openmetrics-text') openMetrics = Math.max(openMetrics, q);
    else if (type === 'text/plain' || type === '*/*') text = Math.max(text, q);
  }
  return openMetrics > 0 && openMetrics >= text;
}
