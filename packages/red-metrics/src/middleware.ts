// Koa middleware recording the RED metrics of every request that reaches it. It knows no app:
// the route template comes from `routeOf` (by default @koa/router's matched layers), any
// request that no route matched shares one label, and the routes of the routers it is given
// get their series at zero before the first request.
import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { routeTemplate } from './route-template.ts';
import { statusAtClose } from './status-at-close.ts';
import { UNMATCHED_ROUTE, methodLabel } from './labels.ts';
import type { KnownRoute, RedMetrics } from './red-metrics.ts';
import type { ScrapeEndpoint } from './scrape-endpoint.ts';
import { activeSpanTrace, openTelemetryTracing, sampledTraceparent } from './trace-context.ts';

export interface RedMiddlewareOptions {
  /** The route template of a handled request, or undefined when none matched. */
  routeOf?: (ctx: Context) => string | undefined;
  /** The route label of requests no route matched (default `unmatched`). */
  unmatchedRoute?: string;
  /** Routers whose routes get their series created at zero (method, template, usual status). */
  routers?: Router[];
  /**
   * Answer scrapes here (`scrapeEndpoint(registry)`) instead of in a middleware of their own:
   * GET and HEAD of its path are served and not recorded, and every other request crosses one
   * middleware instead of two. `metricsEndpoint` stays available for apps that want it apart.
   */
  scrape?: ScrapeEndpoint;
}

const USUAL_STATUS = Symbol('redline.usualStatus');
type WithUsualStatus = { [USUAL_STATUS]?: number };

/**
 * Declares the status a route usually answers (when it is not 200), so its zero-initialised
 * series carry it: `router.post('/orders', usualStatus(201, handler))`. Returns the handler
 * itself: nothing is added to the request path.
 */
export function usualStatus<H extends (...args: never[]) => unknown>(statusCode: number, handler: H): H {
  (handler as WithUsualStatus)[USUAL_STATUS] = statusCode;
  return handler;
}

/** Each route of a router: method (HEAD aside, it mirrors GET), template and usual status. */
export function routesOf(router: Router): KnownRoute[] {
  return router.stack.flatMap((layer) => {
    if (typeof layer.path !== 'string' || layer.methods.length === 0) return [];
    const declared = layer.stack.map((handler) => (handler as WithUsualStatus)[USUAL_STATUS]).find((status) => status !== undefined);
    const path = layer.path;
    return layer.methods.filter((method) => method !== 'HEAD').map((method) => ({ method, route: path, statusCode: declared ?? 200 }));
  });
}

export function redMiddleware(metrics: RedMetrics, options: RedMiddlewareOptions = {}): Middleware {
  const routeOf = options.routeOf ?? routeTemplate;
  const unmatched = options.unmatchedRoute ?? UNMATCHED_ROUTE;
  const scrape = options.scrape;
  // Read when the metrics are first collected or first written, so routes added after this
  // middleware was created are included.
  const routers = options.routers ?? [];
  if (routers.length > 0) metrics.initialiseLater(() => routers.flatMap(routesOf));
  // Whether an OpenTelemetry SDK is registered, settled at the first request (an SDK is set up
  // before the app serves); without one, requests without a traceparent cost no lookup.
  let openTelemetry: boolean | undefined;
  // Not an async function: it returns the promise of the handlers after it (with what it must
  // learn of them attached), so a request pays no promise and no await of its own here. Each
  // Koa middleware hop costs about as much as all of the recording (docs/benchmarks.md).
  return function recordRed(ctx, next) {
    // Scrapes are answered here, not recorded: one hop for the API instead of two.
    if (scrape !== undefined && (ctx.method === 'GET' || ctx.method === 'HEAD') && ctx.path === scrape.path) return scrape.serve(ctx);
    const started = performance.now(); // a double: no BigInt allocated per request
    const { res } = ctx;
    // The exemplar's trace, read while the request's OpenTelemetry context is active.
    const header = ctx.req.headers.traceparent; // repeated, it is invalid (W3C Trace Context)
    let trace = typeof header === 'string' ? sampledTraceparent(header) : undefined;
    if (trace === undefined && (openTelemetry ??= openTelemetryTracing())) trace = activeSpanTrace();
    let threw = false;
    // In flight until the response has closed AND the handlers have returned: a client that
    // leaves early does not make the work it started stop.
    let open = 2;
    const leave = () => {
      if (--open === 0) metrics.requestEnded();
    };
    metrics.requestStarted();
    // 'close' fires once, when the response is fully written (streams included) or the client
    // has gone; either way the status and duration are then final. Koa's error handler runs
    // after this middleware has rethrown, so reading the status any earlier would miss it.
    res.on('close', () => {
      const seconds = (performance.now() - started) / 1000;
      metrics.observe(methodLabel(ctx.method), routeOf(ctx) ?? unmatched, statusAtClose(res), seconds, threw, trace);
      leave();
    });
    return next().then(leave, (error: unknown) => {
      threw = true;
      leave();
      throw error;
    });
  };
}
