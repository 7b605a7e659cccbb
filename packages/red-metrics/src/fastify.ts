// The Fastify adapter: the same recording as node:http, on Fastify's raw request and response,
// with the route's URL pattern as the template. It imports nothing of Fastify: it takes the app.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry, RegistryContentType } from 'prom-client';
import { metricsHandler } from './node.ts';
import type { RedMetrics } from './red-metrics.ts';
import { recordRequest } from './record.ts';

/** What the adapter reads of a Fastify request and reply. */
interface FastifyRequestLike {
  raw: IncomingMessage;
  routeOptions: { url?: string | undefined };
}
interface FastifyReplyLike {
  raw: ServerResponse;
  hijack(): unknown;
}
/** What the adapter uses of a Fastify instance: a hook and a route. */
interface FastifyLike {
  addHook(name: 'onRequest', hook: (request: FastifyRequestLike, reply: FastifyReplyLike, done: () => void) => void): unknown;
  get(path: string, handler: (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<void>): unknown;
}

export interface FastifyRedOptions {
  /** The route label of requests no route matched (default `unmatched`). */
  unmatchedRoute?: string;
  /** Routes left out of the RED metrics (the metrics route is always left out). */
  skipRoutes?: string[];
}

const METRICS_ROUTES = Symbol('redline.metricsRoutes');
type Marked = { [METRICS_ROUTES]?: Set<string> };

/**
 * Records every request's RED metrics, from an `onRequest` hook on the app itself (not an
 * encapsulated plugin, so every route is seen): `redHooks(app, metrics)` before the routes.
 * Fastify answers a handler's error with a 500 itself, so errors count as `server_error`.
 */
export function redHooks(app: FastifyLike, metrics: RedMetrics, options: FastifyRedOptions = {}): void {
  const skipped = new Set(options.skipRoutes ?? []);
  const metricsRoutes = ((app as Marked)[METRICS_ROUTES] ??= new Set());
  app.addHook('onRequest', (request, reply, done) => {
    const route = request.routeOptions.url;
    if (route === undefined || (!skipped.has(route) && !metricsRoutes.has(route))) {
      const recording = recordRequest(metrics, request.raw, reply.raw, {
        routeOf: () => route,
        ...(options.unmatchedRoute === undefined ? {} : { unmatchedRoute: options.unmatchedRoute }),
      });
      recording.handlerReturned();
    }
    done();
  });
}

/** Serves the registry at `path` (GET, HEAD) in the negotiated format; not counted in the RED metrics. */
export function metricsRoute(app: FastifyLike, registry: Registry<RegistryContentType>, path = '/metrics'): void {
  ((app as Marked)[METRICS_ROUTES] ??= new Set()).add(path);
  const serve = metricsHandler(registry);
  app.get(path, async (request, reply) => {
    reply.hijack(); // the handler writes the raw response itself
    await serve(request.raw, reply.raw);
  });
}

// The core, so one import serves an app.
export * from './index.ts';
