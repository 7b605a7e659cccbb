// Koa middleware recording the RED metrics of every request that reaches it. It knows no app:
// the route template comes from `routeOf` (by default @koa/router's matched route), and any
// request that no route matched shares one label.
import type { Context, Middleware } from 'koa';
import { UNMATCHED_ROUTE, methodLabel, statusAtClose } from './labels.ts';
import type { RedMetrics } from './red-metrics.ts';

export interface RedMiddlewareOptions {
  /** The route template of a handled request, or undefined when none matched. */
  routeOf?: (ctx: Context) => string | undefined;
}

export function routerTemplate(ctx: Context): string | undefined {
  const matched = (ctx as Context & { _matchedRoute?: unknown })._matchedRoute;
  return typeof matched === 'string' ? matched : undefined;
}

export function redMiddleware(metrics: RedMetrics, options: RedMiddlewareOptions = {}): Middleware {
  const routeOf = options.routeOf ?? routerTemplate;
  return async function recordRed(ctx, next) {
    const started = performance.now(); // a double: no BigInt allocated per request
    const { res } = ctx;
    let threw = false;
    // In flight until the response has closed AND the handlers have returned: a client that
    // leaves early does not make the work it started stop.
    let open = 2;
    const settle = () => {
      if (--open === 0) metrics.inFlight.dec();
    };
    metrics.inFlight.inc();
    // 'close' fires once the response is fully written (streams included) or the client has
    // gone; either way the status and duration are then final. Koa's error handler runs after
    // this middleware has rethrown, so reading the status any earlier would miss it.
    res.once('close', () => {
      const seconds = (performance.now() - started) / 1000;
      metrics.observe(methodLabel(ctx.method), routeOf(ctx) ?? UNMATCHED_ROUTE, statusAtClose(res), seconds, threw);
      settle();
    });
    try {
      await next();
    } catch (error) {
      threw = true;
      throw error;
    } finally {
      settle();
    }
  };
}
