// The public surface of redline's metrics package: RED metrics for any Koa app, served in the
// Prometheus text, OpenMetrics or protobuf format (with native histograms). Everything else in this folder is internal.
export { RedMetrics, DEFAULT_BUCKETS, type RedMetricsOptions, type NativeHistogramOptions, type KnownRoute } from './red-metrics.ts';
export { redMiddleware, routesOf, usualStatus, type RedMiddlewareOptions } from './middleware.ts';
export { metricsEndpoint, metricsHandler, negotiateFormat, prefersOpenMetrics, type ExpositionFormat } from './endpoint.ts';
export { scrapeCache, SCRAPE_RENDERS_PER_SECOND, SCRAPES_PER_SECOND } from './scrape-cache.ts';
export { scrapeEndpoint, type ScrapeEndpoint, type ScrapeEndpointOptions } from './scrape-endpoint.ts';
export { PROTOBUF_CONTENT_TYPE, decodeProtobuf } from './protobuf.ts';
export { UNMATCHED_ROUTE, OTHER_METHOD, type ErrorType } from './labels.ts';
export { sampledTraceparent, type TraceContext } from './trace-context.ts';
