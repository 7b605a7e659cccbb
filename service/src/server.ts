// The HTTP server's lifecycle: listen with explicit timeouts, and on shutdown flip readiness,
// stop accepting, let in-flight requests finish, and give up after a bounded time.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type Koa from 'koa';
import type { Registry } from 'prom-client';
import type { Readiness } from './health.ts';
import { admission, answerJson, type AdmissionLimits } from './http/admission.ts';
import { refusalFromHeaders } from './http/body-encoding.ts';
import { answerAndClose } from './http/close-after.ts';
import { markSocketAnswered } from '@redline/red-metrics';
import type { Logger } from './logger.ts';

/** How often Node checks open connections against the headers and request timeouts. */
export const CONNECTIONS_CHECK_MS = 1_000;

export interface ServerOptions extends AdmissionLimits {
  host: string;
  /** Bodies declared larger (identity) are refused before `100 Continue`. */
  bodyLimitBytes: number;
  port: number;
  /** Serve `metricsApp` on this port; undefined when the main app serves /metrics itself. */
  metricsPort?: number | undefined;
  keepAliveTimeoutMs: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  shutdownDelayMs: number;
  shutdownTimeoutMs: number;
}

export interface RunningServer {
  server: Server;
  address: AddressInfo;
  /** The /metrics listener's address, when it has its own port. */
  metricsAddress: AddressInfo | undefined;
  /**
   * Drains and closes; resolves to 0 when every request finished in time, 1 otherwise. The
   * readiness delay applies unless `skipDelay` (an interactive Ctrl-C has no load balancer to
   * wait for). Later calls return the first drain's promise.
   */
  shutdown(reason: string, options?: { skipDelay?: boolean }): Promise<number>;
  readonly shuttingDown: boolean;
}

/** Extra bounds for the /metrics listener: only scrapers should reach it (NetworkPolicy). */
const METRICS_MAX_CONNECTIONS = 32;

export async function startServer(
  app: Koa,
  options: ServerOptions,
  readiness: Readiness,
  logger: Logger,
  extras: { registry?: Registry; metricsApp?: Koa } = {},
): Promise<RunningServer> {
  const timeouts = {
    requestTimeout: options.requestTimeoutMs,
    headersTimeout: options.headersTimeoutMs,
    keepAliveTimeout: options.keepAliveTimeoutMs,
    // Node enforces the two timeouts above only when it sweeps its connections, every 30 s
    // by default: a slowloris client then holds a socket for up to 30 s past the timeout
    // (measured in test/hardening). Sweep every second instead.
    connectionsCheckingInterval: CONNECTIONS_CHECK_MS,
  };
  // A request without Host is answered by the gate, in the service's JSON error shape (Node's
  // own check answers an empty 400).
  const server = createServer({ ...timeouts, requireHostHeader: false });
  const gate = admission(server, options, app.callback(), extras.registry);
  server.on('request', gate.listener);
  // `Expect: 100-continue`: refuse a body its headers already condemn before the client sends
  // it (Node would answer 100 Continue first); otherwise ask for it and admit as usual.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    const refusal = refusalFromHeaders(req, options.bodyLimitBytes);
    if (!refusal) {
      res.writeContinue();
      gate.listener(req, res);
      return;
    }
    res.setHeader('Connection', 'close');
    answerJson(res, refusal.status, refusal.message, refusal.headers);
  });
  // server.close() calls this: close only connections with nothing begun, and with a FIN, so a
  // request already on its way is answered and none is reset (Node's own also closes
  // connections whose next request is half-read).
  server.closeIdleConnections = () => gate.closeIdle();

  server.on('clientError', answerClientError);

  const address = await listen(server, options.port, options.host);
  let metricsServer: Server | undefined;
  let metricsAddress: AddressInfo | undefined;
  if (options.metricsPort !== undefined && extras.metricsApp) {
    metricsServer = createServer(timeouts, extras.metricsApp.callback());
    metricsServer.maxConnections = METRICS_MAX_CONNECTIONS;
    metricsServer.on('clientError', answerClientError);
    try {
      metricsAddress = await listen(metricsServer, options.metricsPort, options.host);
    } catch (error) {
      server.close();
      gate.stop();
      throw error;
    }
  }
  logger.info({ host: address.address, port: address.port, metricsPort: metricsAddress?.port ?? address.port }, 'listening');

  let shuttingDown: Promise<number> | undefined;
  const shutdown = (reason: string, { skipDelay = false } = {}) =>
    (shuttingDown ??= (async () => {
      const started = Date.now();
      readiness.markShuttingDown();
      const delayMs = skipDelay ? 0 : options.shutdownDelayMs;
      logger.info({ reason, delayMs, timeoutMs: options.shutdownTimeoutMs, active: gate.inFlight }, 'shutting down');
      // Readiness is 503 now; keep serving new requests (each answered with Connection: close)
      // while load balancers catch up. Idle keep-alive sockets stay open meanwhile: closing one
      // now would reset a request its client may be sending on it at this very moment.
      if (delayMs > 0) await sleep(delayMs);
      // Stops accepting and sends a FIN on the connections idle now (closeIdleConnections above).
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // The drain ends when the requests in progress, and those whose bytes are still arriving,
      // do; not when clients drop their idle keep-alive sockets (or never send a request on a
      // connection they opened).
      const finished = gate.whenIdle();
      // The drain budget starts after the delay: SHUTDOWN_TIMEOUT_MS is for in-flight work.
      const drained = await Promise.race([finished.then(() => true), sleep(options.shutdownTimeoutMs).then(() => false)]);
      if (!drained)
        logger.warn({ timeoutMs: options.shutdownTimeoutMs, active: gate.inFlight }, 'drain timed out; closing remaining connections');
      // Whatever is left is idle, half-sent or over time: nothing more to wait for.
      server.closeAllConnections();
      await closed;
      gate.stop();
      // Last, so the final scrape can still see the drain.
      if (metricsServer) {
        const metricsClosed = new Promise<void>((resolve) => metricsServer.close(() => resolve()));
        metricsServer.closeAllConnections();
        await metricsClosed;
      }
      logger.info({ durationMs: Date.now() - started, drained }, 'stopped');
      return drained ? 0 : 1;
    })());

  return {
    server,
    address,
    metricsAddress,
    get shuttingDown() {
      return shuttingDown !== undefined;
    },
    shutdown,
  };
}

async function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server.address() as AddressInfo;
}

const CLIENT_ERROR_STATUS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout'],
};

/**
 * Requests Node's HTTP parser refuses (malformed, unknown method, headers too large, too slow)
 * never reach Koa: answer them with the same JSON error shape, then close the connection.
 * They are not counted in the RED metrics: no route, and the client's fault. The socket is
 * destroyed once the answer is flushed: a client that never closes must not keep it.
 */
function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason] = CLIENT_ERROR_STATUS[error.code ?? ''] ?? [400, 'Bad Request'];
  markSocketAnswered(socket, status); // a request still in Koa is recorded with this status
  const body = JSON.stringify({ error: { status, message: reason.toLowerCase() } });
  answerAndClose(
    socket,
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
