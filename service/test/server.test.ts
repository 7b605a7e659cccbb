import { request } from 'node:http';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import Koa from 'koa';
import { pino } from 'pino';
import { closeConnectionsWhileDraining, healthEndpoints, Readiness } from '../src/health.ts';
import { DRAIN_STALL_MS } from '../src/http/admission.ts';
import { startServer, type RunningServer } from '../src/server.ts';
import { startService } from '../../scripts/lib/service-process.ts';

const quiet = pino({ level: 'silent' });

function slowApp(readiness: Readiness, delayMs: number) {
  const app = new Koa();
  app.use(closeConnectionsWhileDraining(readiness));
  app.use(healthEndpoints(readiness));
  app.use(async (ctx) => {
    await sleep(delayMs);
    ctx.body = 'done';
  });
  return app;
}

async function start(delayMs: number, options: { shutdownDelayMs?: number; shutdownTimeoutMs?: number } = {}) {
  const readiness = new Readiness();
  const running = await startServer(
    slowApp(readiness, delayMs),
    {
      host: '127.0.0.1',
      port: 0,
      keepAliveTimeoutMs: 5_000,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      shutdownDelayMs: options.shutdownDelayMs ?? 0,
      shutdownTimeoutMs: options.shutdownTimeoutMs ?? 5_000,
      maxRequestsInFlight: 1_024,
      maxPipelinedRequests: 16,
      maxConnections: 4_096,
      sendTimeoutMs: 10_000,
      maxBodiesWaiting: 256,
      bodyTimeoutMs: 10_000,
      maxRequestWireBytes: 131_072,
      bodyLimitBytes: 16_384,
    },
    readiness,
    quiet,
  );
  return { running, readiness, url: `http://127.0.0.1:${running.address.port}` };
}

describe('server lifecycle', () => {
  let running: RunningServer | undefined;
  afterEach(async () => {
    running?.server.closeAllConnections();
    running?.server.close();
  });

  it('flips readiness at once, lets in-flight requests finish, then stops', async () => {
    const s = await start(400, { shutdownDelayMs: 200 });
    running = s.running;
    const inFlight = fetch(`${s.url}/work`).then(async (r) => ({
      status: r.status,
      body: await r.text(),
      connection: r.headers.get('connection'),
    }));
    await sleep(50);
    const stopping = s.running.shutdown('test');
    const ready = await fetch(`${s.url}/readyz`);
    expect(ready.status).to.equal(503);
    expect(await ready.json()).to.deep.equal({ status: 'shutting down' });
    expect(ready.headers.get('connection')).to.equal('close');
    // The request in flight when the drain began is told to close its connection too.
    expect(await inFlight).to.include({ status: 200, body: 'done', connection: 'close' });
    expect(await stopping).to.equal(0);
    expect(s.running.server.listening).to.equal(false);
  });

  it('gives up draining after the configured time and reports it', async () => {
    const s = await start(5_000, { shutdownTimeoutMs: 300 });
    running = s.running;
    const inFlight = fetch(`${s.url}/work`).catch((error: Error) => error);
    await sleep(50);
    const started = Date.now();
    expect(await s.running.shutdown('test')).to.equal(1);
    expect(Date.now() - started).to.be.within(250, 1_500);
    expect(await inFlight).to.be.instanceOf(Error);
  });

  it('does not wait for connections that never sent a request, or went silent half-way through one', async () => {
    const s = await start(1, { shutdownTimeoutMs: 5_000 });
    running = s.running;
    const silent = connect(s.running.address.port, '127.0.0.1');
    const half = connect(s.running.address.port, '127.0.0.1', () => half.write('GET /work HTTP/1.1\r\nHost: x\r\n'));
    for (const socket of [silent, half]) socket.on('error', () => undefined);
    await sleep(100);
    const started = Date.now();
    expect(await s.running.shutdown('test')).to.equal(0);
    // The half request gets DRAIN_STALL_MS to show progress (a client still sending is waited for).
    expect(Date.now() - started).to.be.within(DRAIN_STALL_MS - 100, DRAIN_STALL_MS + 1_000);
  });

  it('answers a request whose first bytes had arrived when the drain began, with Connection: close, and waits for it', async () => {
    const s = await start(1, { shutdownTimeoutMs: 5_000 });
    running = s.running;
    const socket = connect(s.running.address.port, '127.0.0.1');
    socket.on('error', () => undefined);
    let response = '';
    socket.setEncoding('latin1').on('data', (chunk: string) => (response += chunk));
    const ended = new Promise<void>((resolve) => socket.once('end', () => resolve()));
    socket.write('GET /work HTTP/1.1\r\nHo');
    await sleep(100);
    const stopped = s.running.shutdown('test');
    // Still sending: a byte every 300 ms keeps the drain waiting.
    for (const piece of ['st', ': x\r', '\n\r\n']) {
      await sleep(300);
      socket.write(piece);
    }
    expect(await stopped).to.equal(0);
    await ended;
    expect(response).to.match(/^HTTP\/1\.1 200/);
    expect(response.toLowerCase()).to.include('connection: close');
  });

  it('ends a keep-alive connection once its in-flight request is answered', async () => {
    const s = await start(300, { shutdownTimeoutMs: 5_000 });
    running = s.running;
    // A raw keep-alive client that would hold its socket open for as long as the server let it.
    const socket = connect(s.running.address.port, '127.0.0.1');
    socket.on('error', () => undefined);
    let response = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (response += chunk));
    const socketClosed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write('GET /work HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    await sleep(100);
    const started = Date.now();
    expect(await s.running.shutdown('test')).to.equal(0);
    await socketClosed;
    expect(Date.now() - started).to.be.within(150, 1_500);
    expect(response).to.match(/^HTTP\/1\.1 200/);
    expect(response.toLowerCase()).to.include('connection: close');
  });

  it('starts the drain budget after the shutdown delay', async () => {
    const s = await start(400, { shutdownDelayMs: 300, shutdownTimeoutMs: 250 });
    running = s.running;
    const inFlight = fetch(`${s.url}/work`);
    await sleep(20);
    // 300 ms of delay, then 250 ms of budget: the 400 ms request (about 100 ms left) fits.
    expect(await s.running.shutdown('test')).to.equal(0);
    expect((await inFlight).status).to.equal(200);
  });

  it('closes idle keep-alive connections instead of waiting for them', async () => {
    const s = await start(1);
    running = s.running;
    const agentResponse = await new Promise<number>((resolve, reject) => {
      const req = request(`${s.url}/work`, { headers: { connection: 'keep-alive' } }, (res) => {
        res.resume().on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject).end();
    });
    expect(agentResponse).to.equal(200);
    const started = Date.now();
    expect(await s.running.shutdown('test')).to.equal(0);
    expect(Date.now() - started).to.be.below(1_000);
  });

  it('the real process exits 0 on SIGTERM after finishing its in-flight request', async function () {
    this.timeout(30_000);
    const service = await startService({
      env: {
        SHUTDOWN_TIMEOUT_MS: '5000',
        SIM_CHECKOUT_MEDIAN_MS: '600',
        SIM_CHECKOUT_P99_MS: '600',
        SIM_CHECKOUT_ERROR_RATE: '0',
        SIM_CREATE_ORDER_ERROR_RATE: '0',
      },
    });
    const order = (await (
      await fetch(`${service.url}/api/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ items: [{ itemId: 1, quantity: 1 }] }),
      })
    ).json()) as { id: string };
    const checkout = fetch(`${service.url}/api/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ orderId: order.id, paymentMethod: 'card' }),
    });
    await sleep(100);
    const started = Date.now();
    const exit = service.stop('SIGTERM');
    const response = await checkout;
    expect(response.status).to.equal(200);
    expect(await exit).to.equal(0);
    expect(Date.now() - started).to.be.below(5_000);
  });
});
