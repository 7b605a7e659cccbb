// The Koa adapter: RED middleware reading @koa/router's route templates, the /metrics
// endpoint, and the scrape rationing in front of it.
export { metricsEndpoint, metricsHandler } from './endpoint.ts';
export { type RedMiddlewareOptions, redMiddleware, routesOf, usualStatus } from './middleware.ts';
export { routeTemplate } from './route-template.ts';
export { SCRAPE_RENDERS_PER_SECOND, SCRAPES_PER_SECOND, scrapeCache } from './scrape-cache.ts';
export { type ScrapeEndpoint, type ScrapeEndpointOptions, scrapeEndpoint } from './scrape-endpoint.ts';

// The core, so one import serves an app.
export * from './index.ts';
