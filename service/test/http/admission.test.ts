// The admission gate on a real loopback server, with a plain request listener behind it: which
// requests hold which slot, and what a client sees when the gate gives up on it.
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { type Admission, type AdmissionLimits, admission, DRAIN_LIMIT_BYTES, pathOf } from '../../src/http/admission.ts';
import { samples } from '../../../test/support/listen.ts';

const LIMITS: AdmissionLimits = {
  maxRequestsInFlight: 2,
  maxPipelinedRequests: 4,
  maxConnections: 100,
  sendTimeoutMs: 10_000,
  maxBodiesWaiting: 2,
  bodyTimeoutMs: 1_000,
  maxRequestWireBytes: 64 * 1024,
};

/** Reads the whole body, then answers with its length; `/slow` waits 500 ms first. */
const readThenAnswer: RequestListener = (req: IncomingMessage, res: ServerResponse) => {
  let bytes = 0;
  req.on('data', (chunk: Buffer) => (bytes += chunk.length));
  req.on('end', async () => {
    if (req.url === '/slow') await sleep(500);
    if (!res.headersSent) res.end(`read ${bytes}`);
  });
  req.on('error', () => undefined);
};

/** Answers 413 at once, without reading the body. */
const refuseUnread: RequestListener = (_req, res) => {
  res.statusCode = 413;
  res.end('too large');
};

interface Gate {
  server: Server;
  gate: Admission;
  registry: Registry;
  port: number;
  close(): Promise<void>;
}

async function startGate(next: RequestListener, limits: Partial<AdmissionLimits> = {}): Promise<Gate> {
  const server = createServer({ requireHostHeader: false });
  const registry = new Registry();
  const gate = admission(server, { ...LIMITS, ...limits }, next, registry);
  server.on('request', gate.listener);
  server.closeIdleConnections = () => gate.closeIdle();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    gate,
    registry,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        gate.stop();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Raw {
  socket: Socket;
  text(): string;
  status(): number;
  closed: Promise<string>;
}

function raw(port: number, first: string, options: { allowHalfOpen?: boolean } = {}): Raw {
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: options.allowHalfOpen ?? false });
  let text = '';
  socket.setEncoding('latin1').on('data', (chunk: string) => (text += chunk));
  const closed = new Promise<string>((resolve) => {
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    socket.once('close', () => resolve('closed'));
  });
  socket.write(first);
  return { socket, text: () => text, status: () => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), closed };
}

const post = (length: number, path = '/') => `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${length}\r\n\r\n`;

async function until(what: string, check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function closedCount(registry: Registry, reason: string): Promise<number> {
  return (await samples(registry, 'redline_connections_closed_total')).find((s) => s.labels.reason === reason)?.value ?? 0;
}

describe('admission', () => {
  let gate: Gate | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await gate?.close();
    gate = undefined;
  });
  const open = (first: string, options?: { allowHalfOpen?: boolean }) => {
    const r = raw(gate!.port, first, options);
    sockets.push(r.socket);
    return r;
  };

  describe('pathOf', () => {
    const cases: [string, string][] = [
      ['/healthz', '/healthz'],
      ['/healthz?x=1', '/healthz'],
      ['http://example.com/healthz', '/healthz'],
      ['HTTP://example.com:8080/readyz?probe=1', '/readyz'],
      ['http://example.com', '/'],
      ['*', '*'],
    ];
    for (const [target, path] of cases) it(`${target} -> ${path}`, () => expect(pathOf(target)).to.equal(path));
  });

  it('a request waiting for its body holds no API slot: others are served while the API cap would be full', async () => {
    gate = await startGate(readThenAnswer, { maxRequestsInFlight: 1, maxBodiesWaiting: 4 });
    const slow = [open(`${post(10)}{`), open(`${post(10)}{`)];
    await until('two bodies waiting', () => gate!.gate.bodiesWaiting === 2);
    const served = await Promise.all([1, 2].map(() => fetch(`http://127.0.0.1:${gate!.port}/`).then((r) => r.status)));
    expect(served).to.deep.equal([200, 200]);
    // Once a body arrives, its request is API work like any other.
    slow[0]!.socket.write('123456789');
    await until('the body to be answered', () => slow[0]!.text().includes('read 10'));
    expect(gate.gate.bodiesWaiting).to.equal(1);
  });

  it('a body that arrives with its headers never waits in the body pool', async () => {
    gate = await startGate(readThenAnswer, { maxBodiesWaiting: 1 });
    const waiting = open(`${post(10)}{`);
    await until('one body waiting', () => gate!.gate.bodiesWaiting === 1);
    const whole = open(`${post(10)}0123456789`);
    await until('the whole request answered', () => whole.text().includes('read 10'));
    expect(waiting.status(), 'the waiting request was not evicted').to.equal(0);
  });

  it('when the body pool is full, the request waiting longest gets 408 with Connection: close, and is counted', async () => {
    gate = await startGate(readThenAnswer, { maxBodiesWaiting: 2 });
    const first = open(`${post(10)}{`);
    await until('one waiting', () => gate!.gate.bodiesWaiting === 1);
    const second = open(`${post(10)}{`);
    await until('two waiting', () => gate!.gate.bodiesWaiting === 2);
    open(`${post(10)}{`);
    expect(await first.closed).to.equal('closed');
    expect(first.status()).to.equal(408);
    expect(first.text().toLowerCase()).to.include('connection: close');
    expect(second.status(), 'the newer one keeps its slot').to.equal(0);
    expect(await closedCount(gate.registry, 'body_evicted')).to.equal(1);
  });

  it('a body not received within bodyTimeoutMs gets 408 and the connection is closed', async () => {
    gate = await startGate(readThenAnswer, { bodyTimeoutMs: 300 });
    const started = performance.now();
    const slow = open(`${post(10)}{`);
    expect(await slow.closed).to.equal('closed');
    expect(slow.status()).to.equal(408);
    expect(performance.now() - started).to.be.within(250, 300 + 2_500);
    expect(await closedCount(gate.registry, 'body_timeout')).to.equal(1);
    expect(gate.gate.bodiesWaiting).to.equal(0);
  });

  it('an answer sent before the body is read says Connection: close, reads at most DRAIN_LIMIT_BYTES more, and closes', async () => {
    gate = await startGate(refuseUnread);
    const started = performance.now();
    const r = open(post(1024 * 1024 * 1024));
    const block = Buffer.alloc(64 * 1024);
    let sent = 0;
    const pump = () => {
      while (!r.socket.destroyed && performance.now() - started < 5_000) {
        sent += block.length;
        if (!r.socket.write(block)) return;
      }
    };
    r.socket.on('drain', pump);
    pump();
    await r.closed;
    expect(r.status()).to.equal(413);
    expect(r.text().toLowerCase()).to.include('connection: close');
    // Past the drain the server stops reading; the linger (2 s) then closes the socket.
    expect(performance.now() - started, 'ms until closed').to.be.below(3_500);
    // What got onto the wire: the drain, plus what the kernel's socket buffers hold.
    expect(sent, 'bytes the client got onto the wire').to.be.below(64 * 1024 * 1024);
    expect(sent).to.be.above(DRAIN_LIMIT_BYTES);
  });

  it('bounds the wire bytes of a chunked body with large extensions: 413, then closed', async () => {
    gate = await startGate(readThenAnswer, { maxRequestWireBytes: 64 * 1024 });
    const r = open('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
    const chunk = `1;x=${'e'.repeat(8_000)}\r\na\r\n`;
    for (let i = 0; i < 40 && !r.socket.destroyed; i += 1) r.socket.write(chunk);
    await until('the answer', () => r.status() !== 0);
    expect(r.status()).to.equal(413);
    expect(r.text().toLowerCase()).to.include('connection: close');
    expect(await closedCount(gate.registry, 'wire_limit')).to.equal(1);
  });

  it('sheds past the API cap with 503, but never an exempt path, in origin or absolute form', async () => {
    gate = await startGate(readThenAnswer, { maxRequestsInFlight: 1 });
    const slow = open('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    await until('one in flight', () => gate!.gate.inFlight === 1);
    const shed = open('GET /api HTTP/1.1\r\nHost: x\r\n\r\n');
    const absolute = open('GET http://x/healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await until('both answered', () => shed.status() !== 0 && absolute.status() !== 0);
    expect(shed.status()).to.equal(503);
    expect(shed.text()).to.include('Retry-After: 1');
    expect(absolute.status()).to.equal(200);
    await until('the slow one', () => slow.status() === 200);
  });

  it('answers a 1.1 request without Host with a JSON 400 and Connection: close', async () => {
    gate = await startGate(readThenAnswer);
    const r = open('GET / HTTP/1.1\r\n\r\n');
    expect(await r.closed).to.equal('closed');
    expect(r.status()).to.equal(400);
    expect(r.text().toLowerCase()).to.include('connection: close');
    expect(JSON.parse(r.text().split('\r\n\r\n')[1]!)).to.deep.equal({ error: { status: 400, message: 'missing Host header' } });
  });

  it('the drain waits for a request whose first bytes have arrived, and FINs idle connections without waiting for them', async () => {
    gate = await startGate(readThenAnswer);
    const idle = open('', { allowHalfOpen: true });
    const begun = open('GET / HTTP/1.1\r\nHo');
    await until('both connected', () => gate!.server.listening && idle.socket.readyState === 'open' && begun.socket.readyState === 'open');
    await sleep(50);
    let drained = false;
    const whenIdle = gate.gate.whenIdle().then(() => (drained = true));
    gate.gate.closeIdle();
    const idleEnded = new Promise<void>((resolve) => idle.socket.once('end', () => resolve()));
    await idleEnded; // a FIN, not a reset
    await sleep(200);
    expect(drained, 'drain done while a request is half sent').to.equal(false);
    begun.socket.write('st: x\r\n\r\n');
    await whenIdle;
    await until('the answer', () => begun.status() === 200);
  });
});
