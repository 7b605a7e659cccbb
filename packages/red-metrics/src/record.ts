// The RED recording of one request on node:http's own objects, for frameworks that hand their
// handlers Node's request and response (plain node:http, Express). The Koa adapter keeps its
// own copy of these steps in middleware.ts, where Koa's context gives the route and the throw.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { methodLabel, UNMATCHED_ROUTE } from './labels.ts';
import type { RedMetrics } from './red-metrics.ts';
import { statusAtClose } from './status-at-close.ts';
import { activeSpanTrace, openTelemetryTracing, sampledTraceparent, type TraceContext } from './trace-context.ts';

export interface RecordOptions {
  /** The route template, read when the response closes; undefined when no route matched. */
  routeOf: () => string | undefined;
  /** The route label of requests no route matched (default `unmatched`). */
  unmatchedRoute?: string;
}

export interface Recording {
  /**
   * Tells that the request's handler has returned (`threw` when it failed). The request stays
   * in flight until both this and the response's close have happened.
   */
  handlerReturned(threw?: boolean): void;
}

let openTelemetry: boolean | undefined;

/** Starts recording a request: its duration, status and route are observed when `res` closes. */
export function recordRequest(metrics: RedMetrics, req: IncomingMessage, res: ServerResponse, options: RecordOptions): Recording {
  const started = performance.now();
  const header = req.headers.traceparent;
  let trace: TraceContext | undefined = typeof header === 'string' ? sampledTraceparent(header) : undefined;
  if (trace === undefined && (openTelemetry ??= openTelemetryTracing())) trace = activeSpanTrace();
  const unmatched = options.unmatchedRoute ?? UNMATCHED_ROUTE;
  let threw = false;
  let open = 2;
  let returned = false;
  metrics.requestStarted();
  res.once('close', () => {
    const seconds = (performance.now() - started) / 1000;
    metrics.observe(methodLabel(req.method ?? 'GET'), options.routeOf() ?? unmatched, statusAtClose(res), seconds, threw, trace);
    if (--open === 0) metrics.requestEnded();
  });
  return {
    handlerReturned(failed = false) {
      if (returned) return;
      returned = true;
      threw = failed;
      if (--open === 0) metrics.requestEnded();
    },
  };
}
