// Cardinality attack on the real service (node service/src/main.ts): random paths, methods,
// query strings and bodies over real HTTP. The RED series count and the live heap (after a
// full GC) are measured after a warm-up attack, which reaches the bounded set of label values
// (every status a route can answer, `unmatched`, `_OTHER`), and again after the attack.
import autocannon from 'autocannon';
import { startService } from '../../scripts/lib/service-process.ts';
import { InspectorClient } from '../lib/inspector.ts';

// Every method autocannon can send (RFC 7231 + PATCH) less CONNECT and HEAD (autocannon's
// parser waits for a HEAD response's body). Those and non-standard methods (PROPFIND, PURGE,
// ...) that become method="_OTHER" are covered by test/hardening instead.
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE'];
const KNOWN = ['/api/items', '/api/items/1', '/api/orders', '/api/checkout', '/api/orders/ord_0123456789abcdef'];
const rand = (n: number) => Math.floor(Math.random() * n);
const token = () =>
  Math.random()
    .toString(36)
    .slice(2, 2 + 1 + rand(10));

function randomPath(): string {
  switch (rand(6)) {
    case 0:
      return `/${token()}/${token()}`;
    case 1:
      return `/api/items/${token()}`;
    case 2:
      return `/api/orders/${token()}`;
    case 3:
      return `/api/${token()}%2F..%2F${token()}`;
    case 4:
      return `/${'x'.repeat(rand(2000))}`;
    default:
      return KNOWN[rand(KNOWN.length)]!;
  }
}

function randomRequest(request: { method?: string; path?: string; body?: string; headers?: Record<string, string> }) {
  request.method = METHODS[rand(METHODS.length)];
  request.path = `${randomPath()}${rand(2) ? `?${token()}=${token()}&limit=${rand(500)}` : ''}`;
  if (request.method === 'POST' || request.method === 'PUT') {
    request.body = rand(2) ? JSON.stringify({ items: [{ itemId: rand(100), quantity: rand(5) }], [token()]: token() }) : `{${token()}`;
    request.headers = { 'content-type': rand(4) ? 'application/json' : 'text/plain' };
  } else {
    request.body = undefined;
    request.headers = {};
  }
  return request;
}

export interface AttackResult {
  requests: number;
  warmupRequests: number;
  seconds: number;
  seriesBefore: number;
  seriesAfter: number;
  /** Series that appeared during the attack (label sets of the request counter). */
  newSeries: string[];
  heapBefore: number;
  heapAfter: number;
  byStatus: Record<string, number>;
  transportErrors: number;
}

/** The RED series (sample lines without their values) the service exposes. */
async function redSeries(url: string): Promise<Set<string>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return new Set(
    text
      .split('\n')
      .filter((line) => line.startsWith('http_'))
      .map((line) => line.slice(0, line.lastIndexOf(' '))),
  );
}

async function fire(url: string, amount: number, byStatus: Record<string, number>): Promise<number> {
  const result = await autocannon({
    url,
    connections: 32,
    pipelining: 1,
    amount,
    timeout: 5,
    requests: [{ setupRequest: randomRequest }],
  } as autocannon.Options);
  for (const [key, value] of Object.entries(result.statusCodeStats ?? {})) byStatus[key] = (byStatus[key] ?? 0) + (value.count ?? 0);
  return result.errors + result.timeouts;
}

export async function attack(requests: number, warmupRequests: number, log: (line: string) => void): Promise<AttackResult> {
  const service = await startService({
    // No simulated faults: a rare random 500 would add its (legitimate, bounded) series during
    // the attack and hide what the attack itself does.
    env: { LOG_LEVEL: 'fatal', NODE_OPTIONS: '--inspect=127.0.0.1:0', SIM_LATENCY_FACTOR: '0', SIM_ERROR_RATE: '0' },
  });
  try {
    const wsUrl = service.output.map((line) => /ws:\/\/\S+/.exec(line)?.[0]).find(Boolean);
    if (!wsUrl) throw new Error('the service printed no inspector URL');
    const inspector = await InspectorClient.connect(wsUrl);
    const byStatus: Record<string, number> = {};
    log(`attack: warm-up with ${warmupRequests} random requests`);
    await fire(service.url, warmupRequests, byStatus);
    const seriesBefore = await redSeries(service.url);
    const heapBefore = await inspector.liveHeapBytes();
    log(`attack: ${requests} random requests`);
    const started = performance.now();
    const transportErrors = await fire(service.url, requests, byStatus);
    const seconds = (performance.now() - started) / 1000;
    const seriesAfter = await redSeries(service.url);
    const heapAfter = await inspector.liveHeapBytes();
    inspector.close();
    const newSeries = [...seriesAfter].filter((line) => !seriesBefore.has(line) && line.startsWith('http_requests_total'));
    return {
      requests,
      warmupRequests,
      seconds,
      seriesBefore: seriesBefore.size,
      seriesAfter: seriesAfter.size,
      newSeries,
      heapBefore,
      heapAfter,
      byStatus,
      transportErrors,
    };
  } finally {
    await service.stop();
  }
}
