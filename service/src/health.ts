// Liveness and readiness. Readiness goes false once shutdown starts, so the load balancer
// stops sending new requests while in-flight ones drain.
import type { Middleware } from 'koa';

export class Readiness {
  private shuttingDown = false;
  get ready(): boolean {
    return !this.shuttingDown;
  }
  get draining(): boolean {
    return this.shuttingDown;
  }
  markShuttingDown(): void {
    this.shuttingDown = true;
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
      ctx.status = readiness.ready ? 200 : 503;
      ctx.body = { status: readiness.ready ? 'ready' : 'shutting down' };
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
