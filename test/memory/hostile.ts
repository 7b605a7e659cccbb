// Hostile client patterns, each driven against one service for a fixed time while a
// well-behaved client keeps probing /healthz and a normal API request.
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

export interface ProbeTally {
  healthz: { ok: number; failed: string[]; maxMs: number };
  api: { ok: number; shed: number; failed: string[]; maxMs: number };
}

/** One GET on a fresh connection; the status, or the error's message. */
export async function probe(
  url: string,
  path: string,
  timeoutMs = 3_000,
): Promise<{ status: number; retryAfter: string | null; ms: number } | string> {
  const started = performance.now();
  try {
    const response = await fetch(url + path, { signal: AbortSignal.timeout(timeoutMs), headers: { connection: 'close' } });
    await response.arrayBuffer();
    return { status: response.status, retryAfter: response.headers.get('retry-after'), ms: performance.now() - started };
  } catch (error) {
    return `${path}: ${(error as Error).message}`;
  }
}

/** Probes every `intervalMs` until `stop` is set, as a load balancer and a normal user would. */
export async function keepProbing(url: string, apiPath: string, stop: { now: boolean }, intervalMs = 250): Promise<ProbeTally> {
  const tally: ProbeTally = { healthz: { ok: 0, failed: [], maxMs: 0 }, api: { ok: 0, shed: 0, failed: [], maxMs: 0 } };
  while (!stop.now) {
    const [health, api] = await Promise.all([probe(url, '/healthz'), probe(url, apiPath)]);
    if (typeof health === 'string' || health.status !== 200)
      tally.healthz.failed.push(typeof health === 'string' ? health : `status ${health.status}`);
    else {
      tally.healthz.ok += 1;
      tally.healthz.maxMs = Math.max(tally.healthz.maxMs, health.ms);
    }
    if (typeof api === 'string') tally.api.failed.push(api);
    else if (api.status === 200) {
      tally.api.ok += 1;
      tally.api.maxMs = Math.max(tally.api.maxMs, api.ms);
    } else if (api.status === 503 && api.retryAfter) tally.api.shed += 1;
    else tally.api.failed.push(`status ${api.status}`);
    await sleep(intervalMs);
  }
  return tally;
}

function open(url: string): Socket {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  socket.on('error', () => undefined);
  return socket;
}

/**
 * `connections` sockets each pipeline `GET /api/items?limit=100` as fast as the server takes
 * them and never read a byte of the answers.
 */
export async function pipelineWithoutReading(
  url: string,
  connections: number,
  durationMs: number,
): Promise<{ sentRequests: number; connectionsOpened: number }> {
  const request = `GET /api/items?limit=100 HTTP/1.1\r\nHost: x\r\n\r\n`;
  const batch = request.repeat(100);
  const until = Date.now() + durationMs;
  let sentRequests = 0;
  let connectionsOpened = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      // Reconnects whenever the server closes the connection, as a determined client would.
      while (Date.now() < until) {
        const socket = open(url);
        connectionsOpened += 1;
        socket.pause(); // never read
        await new Promise((resolve) => socket.once('connect', resolve).once('close', resolve));
        while (Date.now() < until && !socket.destroyed) {
          sentRequests += 100;
          if (!socket.write(batch)) {
            await Promise.race([new Promise((resolve) => socket.once('drain', resolve).once('close', resolve)), sleep(until - Date.now())]);
          } else {
            await new Promise(setImmediate); // let the well-behaved client in this process run
          }
        }
        socket.destroy();
        await sleep(10);
      }
    }),
  );
  return { sentRequests, connectionsOpened };
}

/** A tiny body that decompresses to `size` bytes, with the encoder's largest window. */
export function brotliBomb(size = 16 * 1024 * 1024): Buffer {
  return brotliCompressSync(Buffer.alloc(size, 'a'), {
    params: { [constants.BROTLI_PARAM_LGWIN]: 24, [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: size },
  });
}

export function gzipBomb(size = 16 * 1024 * 1024): Buffer {
  return gzipSync(Buffer.alloc(size, 'a'), { level: 9 });
}

/** Keeps `concurrency` compressed POST /api/orders in flight; tallies the statuses seen. */
export async function compressedBodies(url: string, encoding: string, body: Buffer, concurrency: number, durationMs: number) {
  const statuses: Record<string, number> = {};
  const until = Date.now() + durationMs;
  const head =
    `POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Encoding: ${encoding}\r\n` +
    `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
  const once = () =>
    new Promise<void>((resolve) => {
      const socket = open(url);
      let text = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => (text += chunk));
      socket.setTimeout(10_000, () => socket.destroy());
      socket.once('close', () => {
        const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 'no answer';
        statuses[status] = (statuses[status] ?? 0) + 1;
        resolve();
      });
      socket.write(head);
      socket.write(body);
    });
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < until) await once();
    }),
  );
  return { statuses };
}

/**
 * `connections` sockets each keep one request to a slow route in flight: the total of
 * requests in flight, not any one connection, is what grows.
 */
export async function manySlowRequests(url: string, path: string, connections: number, durationMs: number) {
  const statuses: Record<string, number> = {};
  const until = Date.now() + durationMs;
  const one = () =>
    new Promise<void>((resolve) => {
      const socket = open(url);
      let text = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => (text += chunk));
      socket.setTimeout(15_000, () => socket.destroy());
      socket.once('close', () => {
        const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 'no answer';
        statuses[status] = (statuses[status] ?? 0) + 1;
        resolve();
      });
      socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    });
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < until) await one();
    }),
  );
  return { statuses };
}

/**
 * `connections` clients each declare a 10 GiB body the service refuses without reading (415:
 * not JSON) and send it as fast as the socket takes it, reconnecting when closed.
 */
export async function endlessBodies(url: string, connections: number, durationMs: number) {
  const statuses: Record<string, number> = {};
  const until = Date.now() + durationMs;
  const block = Buffer.alloc(64 * 1024, ' ');
  let sentBytes = 0;
  const once = () =>
    new Promise<void>((resolve) => {
      const socket = open(url);
      let text = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => (text += chunk));
      const timer = setTimeout(() => socket.destroy(), Math.max(0, until - Date.now()));
      const pump = () => {
        while (!socket.destroyed && Date.now() < until) {
          sentBytes += block.length;
          if (!socket.write(block)) return;
        }
      };
      socket.on('drain', pump);
      socket.once('close', () => {
        clearTimeout(timer);
        const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 'no answer';
        statuses[status] = (statuses[status] ?? 0) + 1;
        resolve();
      });
      socket.write('POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 10737418240\r\n\r\n', pump);
    });
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < until) await once();
    }),
  );
  return { statuses, sentMiB: Math.round(sentBytes / (1024 * 1024)) };
}
