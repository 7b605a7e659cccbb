// Turns every error into a JSON answer: the client's own mistakes (4xx) are explained, server
// faults (5xx) are logged and answered with a generic message.
import type { Middleware } from 'koa';
import type { Logger } from '../logger.ts';

interface HttpishError {
  status?: unknown;
  statusCode?: unknown;
  expose?: unknown;
  message?: unknown;
  headers?: Record<string, string>;
  details?: unknown;
}

/**
 * An answer to the client: its status, a message it may read, optional details (JSON) and
 * headers that go with it (Allow, WWW-Authenticate, Accept-Encoding).
 */
export class HttpError extends Error {
  readonly status: number;
  readonly expose = true;
  readonly details: unknown;
  readonly headers: Record<string, string> | undefined;
  constructor(status: number, message: string, details?: unknown, headers?: Record<string, string>) {
    super(message);
    this.status = status;
    this.details = details;
    this.headers = headers;
  }
}

export function statusOf(error: unknown): number {
  const e = (error ?? {}) as HttpishError;
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : 500;
  return status >= 400 && status <= 599 ? status : 500;
}

export function errorBody(status: number, message: string, requestId: string | undefined, details?: unknown) {
  return { error: { status, message, ...(details === undefined ? {} : { details }), ...(requestId ? { requestId } : {}) } };
}

export function jsonErrors(logger: Logger): Middleware {
  return async function answerErrors(ctx, next) {
    try {
      await next();
    } catch (error) {
      const status = statusOf(error);
      const e = (error ?? {}) as HttpishError;
      const clientError = status < 500 && e.expose !== false;
      if (!clientError) ((ctx.state.log as Logger | undefined) ?? logger).error({ err: error }, 'request failed');
      if (ctx.headerSent || !ctx.writable) return; // nothing more can be said to this client
      const message = clientError && typeof e.message === 'string' ? e.message : 'internal server error';
      ctx.status = status;
      ctx.set(e.headers ?? {});
      ctx.body = errorBody(status, message, ctx.state.requestId as string | undefined, clientError ? e.details : undefined);
    }
  };
}

/** The last middleware: nothing answered, so the path is unknown. */
export const notFound: Middleware = (ctx) => {
  ctx.status = 404;
  ctx.body = errorBody(404, `no route for ${ctx.method} ${ctx.path.slice(0, 200)}`, ctx.state.requestId as string | undefined);
};

/**
 * After the router: the path exists but not for this method. Any unknown method is answered
 * 405 (the router alone would say 501), so junk from scanners never burns the error budget.
 */
export const methodNotAllowed: Middleware = (ctx, next) => {
  const layers = ((ctx as { matched?: { methods: string[] }[] }).matched ?? []).filter((layer) => layer.methods.length > 0);
  if (layers.length === 0) return next();
  const allow = [...new Set(layers.flatMap((layer) => layer.methods))].join(', ');
  if (ctx.method === 'OPTIONS') {
    ctx.status = 204;
    ctx.set('Allow', allow);
    return;
  }
  throw new HttpError(405, `method ${ctx.method.slice(0, 20)} not allowed`, undefined, { Allow: allow });
};
