// The public surface of redline's metrics package: RED metrics for any Koa app, served in the
// Prometheus text or OpenMetrics format. Everything else in this folder is internal.
export { RedMetrics, DEFAULT_BUCKETS, type RedMetricsOptions, type KnownRoute } from './red-metrics.ts';
export { redMiddleware, routesOf, usualStatus, type RedMiddlewareOptions } from './middleware.ts';
export { metricsEndpoint, prefersOpenMetrics } from './endpoint.ts';
export { UNMATCHED_ROUTE, OTHER_METHOD, type ErrorType } from './labels.ts';
