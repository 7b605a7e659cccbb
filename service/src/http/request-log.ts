// A request id for every request and one log line when it ends.
import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from '../logger.ts';
import { routeTemplate } from '@redline/red-metrics/koa';
import { statusAtClose } from '@redline/red-metrics';

const SAFE_ID = /^[\w.:-]{1,128}$/;
const QUIET_PATHS = new Set(['/metrics', '/healthz', '/readyz']);

export function requestLog(logger: Logger): Middleware {
  return async function logRequest(ctx, next) {
    const incoming = ctx.get('x-request-id');
    const requestId = SAFE_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    const log = logger.child({ reqId: requestId });
    ctx.state.log = log;
    if (QUIET_PATHS.has(ctx.path)) return next(); // scrapes and probes would drown the log
    const started = performance.now();
    ctx.res.once('close', () => {
      const status = statusAtClose(ctx.res);
      const entry = {
        method: ctx.method,
        url: ctx.url.slice(0, 512),
        route: routeTemplate(ctx),
        status,
        durationMs: Math.round((performance.now() - started) * 100) / 100,
      };
      if (status >= 500) log.error(entry, 'request completed');
      else log.info(entry, 'request completed');
    });
    return next();
  };
}
