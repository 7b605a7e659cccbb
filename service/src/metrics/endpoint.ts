// GET /metrics: the registry in the Prometheus text format, or OpenMetrics when the scraper
// asks for it.
import type { Middleware } from 'koa';
import { Registry, type OpenMetricsContentType, type RegistryContentType } from 'prom-client';

export function metricsEndpoint(registry: Registry<RegistryContentType>, path = '/metrics'): Middleware {
  // A second registry holding the same metrics renders OpenMetrics without switching the
  // content type of the first under concurrent scrapes.
  const openMetrics = new Registry<OpenMetricsContentType>();
  openMetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  let mirrored = 0;
  return async function serveMetrics(ctx, next) {
    if (ctx.path !== path || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    let target: Registry<RegistryContentType> = registry;
    if (prefersOpenMetrics(ctx.get('accept'))) {
      const metrics = registry.getMetricsAsArray();
      if (metrics.length !== mirrored) {
        for (const { name } of metrics.slice(mirrored)) openMetrics.registerMetric(registry.getSingleMetric(name)!);
        mirrored = metrics.length;
      }
      target = openMetrics;
    }
    ctx.set('Content-Type', target.contentType);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await target.metrics();
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
