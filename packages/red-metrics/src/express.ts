// The Express adapter: the same recording as node:http, with Express's matched route as the
// template (the mount path plus the route's path, never the raw URL).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry, RegistryContentType } from 'prom-client';
import { metricsHandler } from './node.ts';
import type { RedMetrics } from './red-metrics.ts';
import { recordRequest } from './record.ts';

/** What the adapter reads of Express's request: the route that matched and where it is mounted. */
interface ExpressRequest extends IncomingMessage {
  baseUrl?: string;
  route?: { path?: unknown };
}

type Next = (error?: unknown) => void;

export interface ExpressRedOptions {
  /** The route template of a handled request, or undefined when none matched. */
  routeOf?: (req: ExpressRequest) => string | undefined;
  /** The route label of requests no route matched (default `unmatched`). */
  unmatchedRoute?: string;
}

/** Express's route template: the router's mount path and the matched route's path. */
export function expressRouteTemplate(req: ExpressRequest): string | undefined {
  const path = req.route?.path;
  return typeof path === 'string' ? `${req.baseUrl ?? ''}${path}` : undefined;
}

/**
 * Remembers the template of the last route Express dispatched the request to. Express's router
 * clears `req.route` and restores `req.baseUrl` on its way out of a route that failed, so by
 * the time the response closes neither tells which route ran: the template is taken as the
 * router sets `req.route`.
 */
function rememberRoute(req: ExpressRequest): () => string | undefined {
  let route = req.route;
  let template: string | undefined;
  Object.defineProperty(req, 'route', {
    configurable: true,
    enumerable: true,
    get: () => route,
    set(value: ExpressRequest['route']) {
      route = value;
      template = expressRouteTemplate(req) ?? template;
    },
  });
  return () => template;
}

/**
 * Records every request's RED metrics. Use it before the routes (`app.use(redMiddleware(metrics))`).
 * Express answers a handler's error with a 500 itself, so errors count as `server_error`.
 */
export function redMiddleware(metrics: RedMetrics, options: ExpressRedOptions = {}) {
  return function recordRed(req: ExpressRequest, res: ServerResponse, next: Next): void {
    const custom = options.routeOf;
    const routeOf = custom ? () => custom(req) : rememberRoute(req);
    const recording = recordRequest(metrics, req, res, {
      routeOf,
      ...(options.unmatchedRoute === undefined ? {} : { unmatchedRoute: options.unmatchedRoute }),
    });
    recording.handlerReturned();
    next();
  };
}

/** Serves the registry at `path` in the negotiated format; other paths go on to the next handler. */
export function metricsEndpoint(registry: Registry<RegistryContentType>, path = '/metrics') {
  const serve = metricsHandler(registry);
  return function serveMetrics(req: ExpressRequest, res: ServerResponse, next: Next): void {
    if ((req as { path?: string }).path === path && (req.method === 'GET' || req.method === 'HEAD')) serve(req, res).catch(next);
    else next();
  };
}

// The core, so one import serves an app.
export * from './index.ts';
