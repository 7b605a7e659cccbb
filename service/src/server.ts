// The HTTP server's lifecycle: listen with explicit timeouts, and on shutdown flip readiness,
// stop accepting, let in-flight requests finish, and give up after a bounded time.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type Koa from 'koa';
import type { Readiness } from './health.ts';
import { markSocketAnswered } from './http/status-at-close.ts';
import type { Logger } from './logger.ts';

/** How often Node checks open connections against the headers and request timeouts. */
export const CONNECTIONS_CHECK_MS = 1_000;

export interface ServerOptions {
  host: string;
  port: number;
  keepAliveTimeoutMs: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  shutdownDelayMs: number;
  shutdownTimeoutMs: number;
}

export interface RunningServer {
  server: Server;
  address: AddressInfo;
  /** Requests being served right now. */
  readonly activeRequests: number;
  /** Drains and closes; resolves to 0 when every request finished in time, 1 otherwise. */
  shutdown(reason: string): Promise<number>;
}

export async function startServer(
  app: Koa,
  options: ServerOptions,
  readiness: Readiness,
  logger: Logger,
): Promise<RunningServer> {
  const server = createServer(
    {
      requestTimeout: options.requestTimeoutMs,
      headersTimeout: options.headersTimeoutMs,
      keepAliveTimeout: options.keepAliveTimeoutMs,
      // Node enforces the two timeouts above only when it sweeps its connections, every 30 s
      // by default: a slowloris client then holds a socket for up to 30 s past the timeout
      // (measured in test/hardening). Sweep every second instead.
      connectionsCheckingInterval: CONNECTIONS_CHECK_MS,
    },
    app.callback(),
  );

  // Requests in progress, so the drain ends when they do, not when clients drop their idle
  // keep-alive sockets (or never send a request at all on a connection they opened).
  let active = 0;
  let idle: (() => void) | undefined;
  server.on('request', (_req, res) => {
    active += 1;
    res.once('close', () => {
      active -= 1;
      if (active === 0) idle?.();
    });
  });

  server.on('clientError', answerClientError);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  logger.info({ host: address.address, port: address.port }, 'listening');

  let shuttingDown: Promise<number> | undefined;
  const shutdown = (reason: string) =>
    (shuttingDown ??= (async () => {
      const started = Date.now();
      readiness.markShuttingDown();
      logger.info({ reason, delayMs: options.shutdownDelayMs, timeoutMs: options.shutdownTimeoutMs, active }, 'shutting down');
      // Readiness is 503 now; keep serving new requests while load balancers catch up.
      if (options.shutdownDelayMs > 0) await sleep(options.shutdownDelayMs);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const finished = new Promise<void>((resolve) => {
        idle = resolve;
        if (active === 0) resolve();
      });
      // The drain budget starts after the delay: SHUTDOWN_TIMEOUT_MS is for in-flight work.
      const drained = await Promise.race([finished.then(() => true), sleep(options.shutdownTimeoutMs).then(() => false)]);
      if (!drained) logger.warn({ timeoutMs: options.shutdownTimeoutMs, active }, 'drain timed out; closing remaining connections');
      // Whatever is left is idle, half-sent or over time: nothing more to wait for.
      server.closeAllConnections();
      await closed;
      logger.info({ durationMs: Date.now() - started, drained }, 'stopped');
      return drained ? 0 : 1;
    })());

  return {
    server,
    address,
    get activeRequests() {
      return active;
    },
    shutdown,
  };
}

const CLIENT_ERROR_STATUS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout'],
};

/**
 * Requests Node's HTTP parser refuses (malformed, unknown method, headers too large, too slow)
 * never reach Koa: answer them with the same JSON error shape, then close the connection.
 * They are not counted in the RED metrics: no route, and the client's fault.
 */
function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason] = CLIENT_ERROR_STATUS[error.code ?? ''] ?? [400, 'Bad Request'];
  markSocketAnswered(socket, status); // a request still in Koa is recorded with this status
  const body = JSON.stringify({ error: { status, message: reason.toLowerCase() } });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
