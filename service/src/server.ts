// The HTTP server's lifecycle: listen with explicit timeouts, and on shutdown flip readiness,
// stop accepting, let in-flight requests finish, and give up after a bounded time.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type Koa from 'koa';
import type { Readiness } from './health.ts';
import type { Logger } from './logger.ts';

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
    { requestTimeout: options.requestTimeoutMs, headersTimeout: options.headersTimeoutMs, keepAliveTimeout: options.keepAliveTimeoutMs },
    app.callback(),
  );
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
      logger.info({ reason, delayMs: options.shutdownDelayMs, timeoutMs: options.shutdownTimeoutMs }, 'shutting down');
      if (options.shutdownDelayMs > 0) await sleep(options.shutdownDelayMs);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const remaining = Math.max(options.shutdownTimeoutMs - (Date.now() - started), 0);
      const drained = await Promise.race([closed.then(() => true), sleep(remaining).then(() => false)]);
      if (!drained) {
        logger.warn({ timeoutMs: options.shutdownTimeoutMs }, 'drain timed out; closing remaining connections');
        server.closeAllConnections();
        await closed;
      }
      logger.info({ durationMs: Date.now() - started, drained }, 'stopped');
      return drained ? 0 : 1;
    })());

  return { server, address, shutdown };
}
