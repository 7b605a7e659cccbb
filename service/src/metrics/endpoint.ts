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
    if (ctx.accepts('text/plain', 'application/openmetrics-text') === 'application/openmetrics-text') {
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
