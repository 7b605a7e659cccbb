// The memory bounds, each against the real service process: requests in flight per connection
// and in total, output a client does not read, and request body encodings.
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { waitFor } from '../../scripts/lib/wait.ts';
import { startService, type RunningService } from '../../scripts/lib/service-process.ts';
import { send, sendRaw, statusOfRaw } from '../support/raw-http.ts';

async function metric(service: RunningService, line: string): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return Number(found?.split(' ')[1] ?? NaN);
}

/** Writes `count` pipelined GETs in one go, never reads; resolves when the server closes. */
function pipelineAndWait(service: RunningService, path: string, count: number, timeoutMs = 10_000) {
  return new Promise<{ closedAfterMs: number; received: number }>((resolve) => {
    const socket = connect(service.port, service.host);
    const started = performance.now();
    let received = 0;
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    socket.pause(); // do not read: 'data' fires only if something resumes it
    socket.setTimeout(timeoutMs, () => socket.destroy());
    socket.once('close', () => resolve({ closedAfterMs: performance.now() - started, received }));
    socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`.repeat(count));
  });
}

describe('hardening: memory bounds (real process)', function () {
  this.timeout(30_000);

  describe('requests in flight', () => {
    let service: RunningService;
    before(async () => {
      service = await startService({
        env: {
          SIM_ERROR_RATE: '0',
          SIM_LIST_ITEMS_MEDIAN_MS: '1500',
          SIM_LIST_ITEMS_P99_MS: '1500',
          MAX_PIPELINED_REQUESTS: '4',
          MAX_REQUESTS_IN_FLIGHT: '6',
        },
      });
    });
    after(() => service?.stop());

    it('answers pipelined requests within the per-connection limit, in order', async () => {
      const raw = await sendRaw(
        service.url,
        `${'GET /api/items/1 HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(3)}GET /api/items/2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      );
      expect(raw.match(/HTTP\/1\.1 200/g)).to.have.length(4);
      expect(raw.lastIndexOf('"id":2')).to.be.above(raw.lastIndexOf('"id":1'));
    });

    it('closes a connection that pipelines past the limit without reading, at once, and counts it', async () => {
      const before = await metric(service, 'redline_connections_closed_total{reason="pipeline_limit"}');
      const { closedAfterMs } = await pipelineAndWait(service, '/api/items?limit=100', 200);
      expect(closedAfterMs, 'ms until the server closed the connection').to.be.below(1_000);
      expect(await metric(service, 'redline_connections_closed_total{reason="pipeline_limit"}')).to.equal(before + 1);
      expect((await send(service.url, { path: '/healthz' })).status).to.equal(200);
    });

    it('sheds requests past the total limit with 503 and Retry-After, while /healthz, /readyz and /metrics keep answering', async () => {
      const shedBefore = await metric(service, 'redline_requests_shed_total');
      const slow = Array.from({ length: 10 }, () => send(service.url, { path: '/api/items' }));
      await sleep(300);
      const health = await send(service.url, { path: '/healthz' });
      const ready = await send(service.url, { path: '/readyz' });
      const scrape = await send(service.url, { path: '/metrics' });
      const answers = await Promise.all(slow);
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses).to.deep.equal([200, 200, 200, 200, 200, 200, 503, 503, 503, 503]);
      const shed = answers.find((a) => a.status === 503)!;
      expect(shed.headers['retry-after']).to.equal('1');
      expect(JSON.parse(shed.body)).to.deep.equal({ error: { status: 503, message: 'too many requests in flight; retry later' } });
      expect(health.status).to.equal(200);
      expect(ready.status).to.equal(200);
      // The scrape is answered during the overload it should show, and sees the shedding.
      expect(scrape.status).to.equal(200);
      expect(scrape.body).to.include('redline_requests_shed_total');
      expect(await metric(service, 'redline_requests_shed_total')).to.equal(shedBefore + 4);
    });
  });

  it('closes a connection whose output the client stops reading, after SEND_TIMEOUT_MS', async function () {
    this.timeout(40_000);
    const service = await startService({
      env: {
        SIM_ERROR_RATE: '0',
        SIM_LATENCY_FACTOR: '0',
        MAX_PIPELINED_REQUESTS: '100000',
        MAX_REQUESTS_IN_FLIGHT: '100000',
        SEND_TIMEOUT_MS: '1000',
      },
    });
    try {
      // 8 000 answers of 7.6 KB, 60 MB: more than loopback's socket buffers hold (the reader's
      // autotunes up to net.ipv4.tcp_rmem's 32 MiB here), so the server's output stalls.
      const socket = connect(service.port, service.host);
      socket.on('error', () => undefined);
      socket.pause();
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.write('GET /api/items?limit=100 HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(8_000));
      const started = performance.now();
      const counted = await waitFor(
        'the send timeout to fire',
        async () => {
          const closes = await metric(service, 'redline_connections_closed_total{reason="send_timeout"}');
          return closes > 0 ? closes : undefined;
        },
        { timeoutMs: 25_000, intervalMs: 250 },
      );
      expect(counted).to.equal(1);
      expect(performance.now() - started).to.be.above(1_000);
      // The client sees it once it reads again: what was sent, then the end of the stream.
      socket.resume();
      await closed;
      expect((await send(service.url, { path: '/healthz' })).status).to.equal(200);
    } finally {
      await service.stop();
    }
  });

  describe('request body encodings', () => {
    let service: RunningService;
    before(async () => {
      service = await startService({ env: { SIM_ERROR_RATE: '0', SIM_LATENCY_FACTOR: '0' } });
    });
    after(() => service?.stop());
    const order = Buffer.from(JSON.stringify({ items: [{ itemId: 1, quantity: 1 }] }));
    const post = (encoding: string, body: Buffer) =>
      send(service.url, {
        method: 'POST',
        path: '/api/orders',
        headers: { 'content-type': 'application/json', 'content-encoding': encoding },
        body,
      });

    it('refuses brotli (its decoder window is up to 16 MiB) with 415 and says what is accepted', async () => {
      const answer = await post('br', brotliCompressSync(order));
      expect(answer.status).to.equal(415);
      expect(answer.headers['accept-encoding']).to.equal('identity, gzip, deflate');
      expect(JSON.parse(answer.body).error.message).to.match(/unsupported Content-Encoding/);
      expect((await post('zstd', order)).status).to.equal(415);
    });

    it('still accepts gzip and refuses a gzip bomb cheaply with 413', async () => {
      expect((await post('gzip', gzipSync(order))).status).to.equal(201);
      const started = performance.now();
      expect((await post('gzip', gzipSync(Buffer.alloc(8 * 1024 * 1024, ' ')))).status).to.equal(413);
      expect(performance.now() - started).to.be.below(1_000);
    });

    it('refuses a brotli body before reading it: the answer comes however large the body claims to be', async () => {
      const raw = await sendRaw(
        service.url,
        'POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Encoding: br\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n',
      );
      expect(statusOfRaw(raw)).to.equal(415);
    });
  });
});
