// Slow and vanishing clients against the real service process: they must not hold the server
// hostage (the timeouts close them) and everyone else must keep being served.
import { Agent } from 'node:http';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { type RunningService, startService } from '../../scripts/lib/service-process.ts';
import { redLabelValues, send } from '../support/raw-http.ts';

const HEADERS_TIMEOUT_MS = 1_000;
const REQUEST_TIMEOUT_MS = 2_000;
const KEEP_ALIVE_TIMEOUT_MS = 1_000;
/** Node checks header and request timeouts on an interval, so allow one more second. */
const SLACK_MS = 1_500;

interface Slow {
  socket: Socket;
  closedAt: Promise<number>;
  received: () => string;
}

function openSlow(service: RunningService, first: string): Slow {
  const socket = connect(service.port, service.host);
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (received += chunk));
  socket.on('error', () => undefined);
  const closedAt = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now())));
  socket.write(first);
  return { socket, closedAt, received: () => received };
}

async function timedGet(service: RunningService, path: string, agent: Agent): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const answer = await send(service.url, { path, agent });
  return { status: answer.status, ms: performance.now() - started };
}

describe('hardening: slow clients, aborted requests and timeouts (real process)', function () {
  this.timeout(30_000);
  let service: RunningService;

  before(async () => {
    service = await startService({
      env: {
        SIM_ERROR_RATE: '0',
        SIM_LATENCY_FACTOR: '0',
        SIM_CHECKOUT_MEDIAN_MS: '400',
        SIM_CHECKOUT_P99_MS: '400',
        HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
        REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
        KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_TIMEOUT_MS),
      },
    });
  });
  after(async () => {
    await service?.stop();
  });

  it('serves others while 40 slowloris connections trickle headers, and cuts those off after the headers timeout', async () => {
    const started = performance.now();
    const slow = Array.from({ length: 40 }, () => openSlow(service, 'GET /api/items HTTP/1.1\r\nHost: x\r\n'));
    const trickle = setInterval(() => {
      for (const s of slow) if (!s.socket.destroyed) s.socket.write(`X-Slow: ${Date.now()}\r\n`);
    }, 200);
    try {
      const agent = new Agent({ keepAlive: true, maxSockets: 4 });
      const answers = [];
      for (let i = 0; i < 40; i += 1) answers.push(await timedGet(service, '/api/items?limit=1', agent));
      agent.destroy();
      expect(answers.map((a) => a.status)).to.deep.equal(Array(40).fill(200));
      expect(Math.max(...answers.map((a) => a.ms)), 'slowest normal request, ms').to.be.below(500);

      const closed = await Promise.all(slow.map((s) => s.closedAt));
      for (const at of closed) expect(at - started, 'ms until a slowloris connection is closed').to.be.below(HEADERS_TIMEOUT_MS + SLACK_MS);
      for (const s of slow) expect(s.received()).to.match(/^(HTTP\/1\.1 408|$)/);
    } finally {
      clearInterval(trickle);
      for (const s of slow) s.socket.destroy();
    }
  });

  it('closes a request whose body never finishes after the request timeout, and keeps serving', async () => {
    const started = performance.now();
    const slow = openSlow(
      service,
      'POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"items":',
    );
    await sleep(300);
    expect((await send(service.url, { path: '/api/items?limit=1' })).status).to.equal(200);
    const closedAt = await slow.closedAt;
    expect(closedAt - started).to.be.below(REQUEST_TIMEOUT_MS + SLACK_MS);
    expect((await send(service.url, { path: '/healthz' })).status).to.equal(200);
  });

  it('closes idle keep-alive connections after the keep-alive timeout', async () => {
    const slow = openSlow(service, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(100);
    expect(slow.received()).to.match(/^HTTP\/1\.1 200/);
    const answeredAt = performance.now();
    const closedAt = await slow.closedAt;
    expect(closedAt - answeredAt).to.be.within(KEEP_ALIVE_TIMEOUT_MS - 200, KEEP_ALIVE_TIMEOUT_MS + SLACK_MS);
  });

  it('records aborted requests as 499, keeps answering others, and stays up', async () => {
    const before = await (await fetch(`${service.url}/metrics`)).text();
    const count499 = (text: string) =>
      Number(/^http_requests_total\{method="POST",route="\/api\/checkout",status_code="499"\} (\d+)/m.exec(text)?.[1] ?? 0);
    // Checkout needs a pending order of its own (a second checkout of one order answers 409 at
    // once), so create one order per aborted request.
    const ids = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const order = await send(service.url, {
          method: 'POST',
          path: '/api/orders',
          headers: { 'content-type': 'application/json' },
          body: '{"items":[{"itemId":1,"quantity":1}]}',
        });
        return (JSON.parse(order.body) as { id: string }).id;
      }),
    );
    const aborted = ids.map(async (id) => {
      const controller = new AbortController();
      const pending = send(service.url, {
        method: 'POST',
        path: '/api/checkout',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ orderId: id, paymentMethod: 'card' }),
        signal: controller.signal,
      }).catch((error: Error) => error);
      await sleep(50);
      controller.abort();
      return pending;
    });
    const others = Array.from({ length: 20 }, () => send(service.url, { path: '/api/items?limit=1' }));
    const results = await Promise.all(aborted);
    for (const r of results) expect(r).to.be.instanceOf(Error);
    expect((await Promise.all(others)).map((a) => a.status)).to.deep.equal(Array(20).fill(200));
    await sleep(600); // the abandoned handlers finish their simulated wait
    const after = await (await fetch(`${service.url}/metrics`)).text();
    expect(count499(after) - count499(before)).to.equal(20);
    expect(redLabelValues(after).statuses).to.include('499');
    expect(service.process.exitCode).to.equal(null);
  });
});
