// One client must not lock everyone else out (issue 23), against the real service process:
// connections the server gives up on are released, a slow body does not hold an API slot, a
// body the server will not read is not read without end, and chunk framing is bounded.
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { type RunningService, startService } from '../../scripts/lib/service-process.ts';
import { send, sendRaw, serverSockets, statusOfRaw } from '../support/raw-http.ts';
import { goodClient, percentile, type SlowBodiesReport, startSlowBodies } from '../support/slow-bodies.ts';

/** A connection that sends `first` (maybe nothing), then never sends, reads or closes again. */
function openSilent(service: RunningService, first = ''): { socket: Socket; received: () => string } {
  // allowHalfOpen: keep our side open after the server's FIN, as an attacker would.
  const socket = connect({ port: service.port, host: service.host, allowHalfOpen: true });
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (received += chunk));
  socket.on('error', () => undefined);
  if (first) socket.write(first);
  return { socket, received: () => received };
}

describe('hardening: no client locks the others out (real process)', function () {
  this.timeout(60_000);

  describe('connections the server gives up on', () => {
    let service: RunningService;
    before(async () => {
      service = await startService({
        env: { SIM_ERROR_RATE: '0', SIM_LATENCY_FACTOR: '0', HEADERS_TIMEOUT_MS: '1000', REQUEST_TIMEOUT_MS: '1000' },
      });
    });
    after(() => service?.stop());

    it('releases 4,200 idle connections after their 408: a new client is served, the socket count returns to baseline', async () => {
      const baseline = serverSockets(service.port, service.process.pid!).total;
      const idle: { socket: Socket; received: () => string }[] = [];
      try {
        for (let i = 0; i < 4_200; i += 1) {
          idle.push(openSilent(service));
          if (i % 200 === 199) await sleep(10); // let the accepts keep up
        }
        // Headers timeout (1 s) + the 1 s connections check + slack.
        await sleep(3_500);
        const answered = idle.filter((c) => c.received().startsWith('HTTP/1.1 408')).length;
        const held = serverSockets(service.port, service.process.pid!);
        const newcomers = await Promise.all(
          Array.from({ length: 20 }, () =>
            send(service.url, { path: '/healthz' }).then(
              (a) => a.status,
              (error: Error) => error.message,
            ),
          ),
        );
        console.log(`      408 answers: ${answered}/4200; server sockets after: ${JSON.stringify(held.byState)} (baseline ${baseline})`);
        expect(newcomers, 'new clients after the idle flood').to.deep.equal(Array(20).fill(200));
        expect(held.total, 'server sockets still held after the 408s').to.be.at.most(baseline + 20);
      } finally {
        for (const c of idle) c.socket.destroy();
      }
    });
  });

  describe('bodies the server will not read', () => {
    let service: RunningService;
    before(async () => {
      service = await startService({ env: { SIM_ERROR_RATE: '0', SIM_LATENCY_FACTOR: '0' } });
    });
    after(() => service?.stop());

    const endless = [
      { status: 413, why: 'declared too large', contentType: 'application/json' },
      { status: 415, why: 'not JSON', contentType: 'text/plain' },
    ];
    for (const { status, why, contentType } of endless) {
      it(`answers an endless body ${status} (${why}) with Connection: close and stops reading it: a few MiB at most, not the whole stream`, async () => {
        const block = Buffer.alloc(64 * 1024, ' ');
        const result = await flood(
          service,
          `POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Type: ${contentType}\r\nContent-Length: 10737418240\r\n\r\n`,
          () => block,
          8_000,
        );
        console.log(`      endless body, ${status}: ${JSON.stringify({ ...result, sentMiB: (result.sentBytes / MiB).toFixed(1) })}`);
        expect(result.status, 'status').to.equal(status);
        expect(result.connection, 'Connection header').to.equal('close');
        // The server's drain (256 KiB) plus what loopback's socket buffers take (up to ~32 MiB here).
        expect(result.sentBytes / MiB, 'MiB the client could send').to.be.below(64);
        expect(result.closedAfterMs, 'ms until the server closed').to.be.below(4_000);
        expect((await send(service.url, { path: '/healthz' })).status).to.equal(200);
      });
    }

    it('answers Expect: 100-continue with 413 or 415 instead of 100 Continue when the headers condemn the body', async () => {
      const expectContinue = (headers: string) =>
        flood(
          service,
          `POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n${headers}\r\n`,
          () => undefined,
          3_000,
        );
      const tooLarge = await expectContinue('Content-Length: 10000000\r\n');
      expect(tooLarge.status).to.equal(413);
      expect(tooLarge.connection).to.equal('close');
      const brotli = await expectContinue('Content-Length: 100\r\nContent-Encoding: br\r\n');
      expect(brotli.status).to.equal(415);
      // A body within bounds is asked for, and served.
      const order = '{"items":[{"itemId":1,"quantity":1}]}';
      const socket = connect(service.port, service.host);
      let text = '';
      socket.setEncoding('latin1').on('data', (chunk: string) => (text += chunk));
      socket.write(
        `POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: ${order.length}\r\nConnection: close\r\n\r\n`,
      );
      await sleep(200);
      expect(text).to.match(/^HTTP\/1\.1 100 Continue\r\n\r\n$/);
      socket.write(order);
      await new Promise((resolve) => socket.once('close', resolve));
      expect(text).to.match(/\r\n\r\nHTTP\/1\.1 201 /);
    });

    it('bounds chunk framing on the wire: 16,000 chunks with 16 KB of extensions each are refused early with 413', async () => {
      // A valid 16,000-byte JSON body, one byte per chunk, each chunk with 16 KB of extensions:
      // 244 MiB on the wire for a body within BODY_LIMIT_BYTES.
      const order = '{"items":[{"itemId":1,"quantity":1}]}';
      const body = order + ' '.repeat(16_000 - order.length);
      const extension = `;x=${'e'.repeat(16_000)}`;
      let index = 0;
      const result = await flood(
        service,
        'POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
        () => {
          if (index > body.length) return undefined;
          const chunk = index === body.length ? '0\r\n\r\n' : `1${extension}\r\n${body[index]}\r\n`;
          index += 1;
          return Buffer.from(chunk, 'latin1');
        },
        15_000,
      );
      console.log(`      chunk-extension flood: ${JSON.stringify({ ...result, sentMiB: (result.sentBytes / MiB).toFixed(1) })}`);
      expect(result.status, 'status').to.equal(413);
      expect(result.sentBytes / MiB, 'MiB the client could send').to.be.below(64);
      expect((await send(service.url, { path: '/healthz' })).status).to.equal(200);
    });
  });

  describe('smaller gaps', () => {
    let service: RunningService;
    before(async () => {
      service = await startService({
        env: {
          SIM_ERROR_RATE: '0',
          SIM_LATENCY_FACTOR: '0',
          SIM_LIST_ITEMS_MEDIAN_MS: '1500',
          SIM_LIST_ITEMS_P99_MS: '1500',
          MAX_REQUESTS_IN_FLIGHT: '2',
        },
      });
    });
    after(() => service?.stop());

    it('answers a request without Host in the JSON error shape', async () => {
      const answer = await sendRaw(service.url, 'GET /api/items/1 HTTP/1.1\r\n\r\n');
      expect(statusOfRaw(answer)).to.equal(400);
      expect(JSON.parse(answer.split('\r\n\r\n')[1]!)).to.deep.equal({ error: { status: 400, message: 'missing Host header' } });
    });

    it('reads Content-Encoding: GZIP as gzip (content codings are case-insensitive)', async () => {
      const answer = await send(service.url, {
        method: 'POST',
        path: '/api/orders',
        headers: { 'content-type': 'application/json', 'content-encoding': 'GZIP' },
        body: gzipSync('{"items":[{"itemId":1,"quantity":1}]}'),
      });
      expect(answer.status, answer.body).to.equal(201);
    });

    it('keeps the probes exempt from shedding when addressed in absolute form', async () => {
      const slow = Array.from({ length: 3 }, () => send(service.url, { path: '/api/items' }));
      await sleep(300);
      const shed = await sendRaw(service.url, 'GET http://x/api/items/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      const probe = await sendRaw(service.url, 'GET http://x/healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      await Promise.all(slow);
      expect(statusOfRaw(shed), 'an API request past the cap').to.equal(503);
      expect(statusOfRaw(probe), '/healthz in absolute form past the cap').to.equal(200);
    });

    it('answers 1,000 short headers (16 KiB in all) with 431', async () => {
      const headers = Array.from({ length: 1_000 }, (_, i) => `X-H${i}: vvvvv\r\n`).join('');
      expect(statusOfRaw(await sendRaw(service.url, `GET /api/items/1 HTTP/1.1\r\nHost: x\r\n${headers}\r\n`))).to.equal(431);
    });
  });

  describe('slow bodies', () => {
    let service: RunningService;
    before(async () => {
      service = await startService({ env: { SIM_ERROR_RATE: '0', SIM_LATENCY_FACTOR: '0' } });
    });
    after(() => service?.stop());

    it('1,100 bodies sent at 1 byte/s leave a good client at least 99% success and a p99 under 100 ms; /readyz stays 200', async () => {
      const attack = startSlowBodies(service.port, service.host, 1_100);
      let report: SlowBodiesReport | undefined;
      try {
        await sleep(2_000); // every attacker connected and into its body
        const clientStop = { now: false };
        const readyz: number[] = [];
        const watching = (async () => {
          while (!clientStop.now) {
            readyz.push((await send(service.url, { path: '/readyz' }).catch(() => ({ status: 0 }))).status);
            await sleep(250);
          }
        })();
        const client = goodClient(service.url, 4, clientStop);
        await sleep(6_000);
        clientStop.now = true;
        const tally = await client;
        await watching;
        report = await attack.stop();
        const total = tally.ms.length;
        const ok = (tally.statuses['200'] ?? 0) + (tally.statuses['201'] ?? 0);
        const p99 = percentile(tally.ms, 99);
        console.log(
          `      good client: ${ok}/${total} ok ${JSON.stringify(tally.statuses)}, p50 ${percentile(tally.ms, 50).toFixed(1)} ms, ` +
            `p99 ${p99.toFixed(1)} ms; attacker: ${JSON.stringify(report)}; ` +
            `/readyz ${JSON.stringify([...new Set(readyz)])}`,
        );
        expect(total, 'good requests sent').to.be.above(100);
        expect(ok / total, 'good client success rate').to.be.at.least(0.99);
        expect(p99, 'good client p99, ms').to.be.below(100);
        expect(new Set(readyz), '/readyz during the flood').to.deep.equal(new Set([200]));
      } finally {
        if (!report) await attack.stop();
      }
    });
  });
});

interface Flood {
  status: number;
  connection: string | undefined;
  sentBytes: number;
  closedAfterMs: number;
  error: string | undefined;
}

/**
 * Sends `head`, then `next()` chunk after chunk as fast as the socket takes them, until the
 * server closes the connection or `limitMs`; what came back and how much got sent.
 */
function flood(service: RunningService, head: string, next: () => Buffer | undefined, limitMs: number): Promise<Flood> {
  return new Promise((resolve) => {
    const socket = connect(service.port, service.host);
    const started = performance.now();
    let text = '';
    let sentBytes = 0;
    let error: string | undefined;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    const timer = setTimeout(() => socket.destroy(), limitMs);
    const pump = () => {
      for (;;) {
        if (socket.destroyed || socket.writableEnded) return;
        const chunk = next();
        if (!chunk) return;
        sentBytes += chunk.length;
        if (!socket.write(chunk)) return;
      }
    };
    socket.on('drain', pump);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0),
        connection: /\r\nconnection: ([^\r]*)/i.exec(text)?.[1]?.toLowerCase(),
        sentBytes,
        closedAfterMs: performance.now() - started,
        error,
      });
    });
    socket.write(head, pump);
  });
}

const MiB = 1024 * 1024;
