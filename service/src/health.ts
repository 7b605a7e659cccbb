// Liveness and readiness. Readiness goes false once shutdown starts, so the load balancer
// stops sending new requests while in-flight ones drain.
import type { Middleware } from 'koa';

/** One flag: false while serving, true from the first shutdown signal on (/readyz answers 503). */
export class Readiness {
  #draining = false;
  get draining(): boolean {
    return this.#draining;
  }
  markShuttingDown(): void {
    this.#draining = true;
  }
}

export function healthEndpoints(readiness: Readiness): Middleware {
  return async function serveHealth(ctx, next) {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    if (ctx.path === '/healthz') {
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { status: 'ok' };
    } else if (ctx.path === '/readyz') {
      ctx.set('Cache-Control', 'no-store');
      ctx.status = readiness.draining ? 503 : 200;
      ctx.body = { status: readiness.draining ? 'shutting down' : 'ready' };
    } else {
      return next();
    }
  };
}

/**
 * While draining, tell keep-alive clients to reconnect elsewhere after this response: both for
 * requests that arrive during the drain and for those in flight when it began.
 */
export function closeConnectionsWhileDraining(readiness: Readiness): Middleware {
  return async function closeWhileDraining(ctx, next) {
    if (readiness.draining) ctx.set('Connection', 'close');
    try {
      await next();
    } finally {
      if (readiness.draining && !ctx.headerSent) ctx.set('Connection', 'close');
    }
  };
}
