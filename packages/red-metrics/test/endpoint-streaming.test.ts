// The streamed /metrics body against the whole-payload renderer it replaced: byte for byte the
// same for the same state, over real HTTP, in every format and for many registry shapes; the
// render yields to the event loop and is pulled at the client's pace; concurrent scrapes share
// one render past the budget.
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import Koa from 'koa';
import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { streamingRenderer } from '../src/endpoint.ts';
import { metricsEndpoint, PROTOBUF_CONTENT_TYPE, RedMetrics, scrapeCache } from '../src/koa.ts';
import { wholePayload } from './support/whole-payload-renderer.ts';
import { ODD_ROUTES } from './support/odd-routes.ts';

const ACCEPT = {
  text: 'text/plain;version=0.0.4',
  openmetrics: 'application/openmetrics-text;version=1.0.0',
  protobuf: `${PROTOBUF_CONTENT_TYPE};q=0.9,text/plain;version=0.0.4;q=0.5`,
} as const;
const FORMATS = ['text', 'openmetrics', 'protobuf'] as const;

async function listen(app: { callback(): RequestListener }): Promise<{ url: string; server: Server }> {
  const server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`, server };
}

interface Shape {
  labelSets: number;
  native: boolean;
  traced: boolean;
  defaults: boolean;
  extras: 'none' | 'before' | 'around';
  prefixes: number;
}

/** A registry of the given shape, filled from a seeded generator (the same shape, the same state). */
function registryOf(shape: Shape, seed: number): Registry {
  let state = seed;
  const random = () => (state = (state * 48271) % 2147483647) / 2147483647;
  const registry = new Registry();
  const extras = () => {
    const gauge = new Gauge({
      name: `extra_gauge_${registry.getMetricsAsArray().length}`,
      help: 'a\\b\nc',
      labelNames: ['k'],
      registers: [registry],
    });
    gauge.labels('v"1').set(1.5);
    gauge.labels('v2').set(Number.NaN);
    new Counter({ name: `extra_${registry.getMetricsAsArray().length}_total`, help: 'h', registers: [registry] }).inc(3);
    new Histogram({
      name: `extra_hist_${registry.getMetricsAsArray().length}`,
      help: 'h',
      buckets: [0.1, 1],
      registers: [registry],
    }).observe(0.5);
    const summary = new Summary({
      name: `extra_summary_${registry.getMetricsAsArray().length}`,
      help: 'h',
      percentiles: [0.5, 0.9],
      registers: [registry],
    });
    for (let i = 0; i < 10; i += 1) summary.observe(i);
  };
  if (shape.extras !== 'none') extras();
  for (let p = 0; p < shape.prefixes; p += 1) {
    const red = new RedMetrics(registry, { prefix: p === 0 ? '' : `p${p}_`, nativeHistograms: shape.native });
    for (let i = 0; i < shape.labelSets; i += 1) {
      const method = ['GET', 'POST', 'DELETE', '_OTHER'][i % 4]!;
      const route = i < ODD_ROUTES.length ? ODD_ROUTES[i]! : `/r${Math.floor(random() * shape.labelSets)}/:id`;
      const status = [200, 404, 500, 503, 499][Math.floor(random() * 5)]!;
      const observations = 1 + Math.floor(random() * 4);
      for (let o = 0; o < observations; o += 1) {
        const seconds = random() < 0.05 ? 0 : random() ** 3 * 12;
        const trace = shape.traced && random() < 0.3 ? { traceId: `${i}`.padStart(32, 'a'), spanId: `${o}`.padStart(16, 'b') } : undefined;
        red.observe(method, route, status, seconds, status === 500, trace);
      }
    }
  }
  if (shape.extras === 'around') extras();
  if (shape.defaults) registry.setDefaultLabels({ region: 'eu "west"\n', route: 'ignored: the series label wins' });
  return registry;
}

const SHAPES: Shape[] = [];
for (const labelSets of [0, 1, 7, 8, 9, 100, 3000])
  for (const native of [false, true])
    SHAPES.push({
      labelSets,
      native,
      traced: labelSets % 2 === 1 || labelSets === 100,
      defaults: labelSets === 9 || labelSets === 3000,
      extras: labelSets === 0 ? 'none' : labelSets % 2 ? 'around' : 'before',
      prefixes: labelSets === 100 || labelSets === 8 ? 2 : 1,
    });

describe('metrics/endpoint: the streamed body', function () {
  this.timeout(60_000);

  for (const shape of SHAPES) {
    it(`equals the whole-payload render byte for byte: ${JSON.stringify(shape)}`, async () => {
      const registry = registryOf(shape, shape.labelSets + 11);
      const { url, server } = await listen(new Koa().use(metricsEndpoint(registry)));
      try {
        for (const format of FORMATS) {
          const response = await fetch(url, { headers: { accept: ACCEPT[format] } });
          expect(response.status).to.equal(200);
          const streamed = Buffer.from(await response.arrayBuffer());
          const whole = await wholePayload(registry, format);
          expect(streamed.byteLength, format).to.equal(whole.byteLength);
          expect(streamed.equals(whole), `${format} bytes`).to.equal(true);
        }
      } finally {
        server.close();
      }
    });
  }

  it('answers HEAD with the headers only, and keeps serving after a client leaves mid-body', async () => {
    const registry = registryOf({ labelSets: 3000, native: true, traced: false, defaults: false, extras: 'none', prefixes: 1 }, 4);
    const { url, server } = await listen(new Koa().use(metricsEndpoint(registry)));
    try {
      const head = await fetch(url, { method: 'HEAD' });
      expect(head.status).to.equal(200);
      expect(head.headers.get('content-type')).to.match(/^text\/plain/);
      expect((await head.arrayBuffer()).byteLength).to.equal(0);
      const leaving = new AbortController();
      const response = await fetch(url, { signal: leaving.signal });
      const reader = response.body!.getReader();
      await reader.read();
      leaving.abort();
      await reader.read().catch(() => undefined);
      const again = Buffer.from(await (await fetch(url)).arrayBuffer());
      expect(again.equals(await wholePayload(registry, 'text'))).to.equal(true);
    } finally {
      server.close();
    }
  });

  it('gives the event loop many turns while rendering a large registry, in every format', async () => {
    const registry = registryOf({ labelSets: 5000, native: true, traced: false, defaults: false, extras: 'none', prefixes: 1 }, 3);
    const render = streamingRenderer(registry);
    for (const format of FORMATS) {
      let turns = 0;
      let counting = true;
      const count = () => {
        turns += 1;
        if (counting) setImmediate(count);
      };
      setImmediate(count);
      let bytes = 0;
      for await (const chunk of (await render(format)).body) bytes += Buffer.byteLength(chunk as string | Buffer);
      counting = false;
      // A turn at least after every chunk (64 Ki characters and at most one step of 8 series
      // beyond) or 0.5 ms slice, whichever comes first.
      expect(turns, `${format}: ${bytes} bytes`).to.be.at.least(Math.floor(bytes / (96 * 1024)));
      expect(turns, format).to.be.at.least(10);
    }
  });

  it('produces the body only as fast as it is read (a slow client holds a chunk or two, not the payload)', async () => {
    const registry = registryOf({ labelSets: 5000, native: false, traced: false, defaults: false, extras: 'none', prefixes: 1 }, 5);
    const whole = await wholePayload(registry, 'text');
    const { body } = await streamingRenderer(registry)('text');
    const read: Buffer[] = [];
    await new Promise<void>((resolve) => body.once('readable', resolve));
    read.push(Buffer.from(body.read() as string));
    await new Promise((resolve) => setTimeout(resolve, 100)); // the client reads nothing for a while
    // Text chunks are strings in object mode: the stream counts them, not their bytes.
    expect(body.readableObjectMode).to.equal(true);
    expect(body.readableLength).to.be.at.most(2); // at most a couple of chunks
    expect(whole.byteLength).to.be.above(5 * 1024 * 1024);
    for await (const chunk of body) read.push(Buffer.from(chunk as string));
    // Each chunk is whole lines of about 64 KiB (a step of 8 series at most beyond).
    expect(Math.max(...read.map((chunk) => chunk.byteLength))).to.be.at.most(96 * 1024);
    // and ends between lines: the next one starts a line.
    expect(read.slice(1).every((chunk) => chunk[0] === 0x0a)).to.equal(true);
    expect(Buffer.concat(read).equals(whole)).to.equal(true);
  });
  it('hands text on in strings, not ArrayBuffers: a whole body held adds no external memory', async () => {
    // A Buffer per chunk is an ArrayBuffer V8 counts as external memory; 10 MB of them started
    // a full mark-compact on every 100k-series scrape (docs/benchmarks.md, fourth pass).
    const registry = registryOf({ labelSets: 5000, native: false, traced: false, defaults: false, extras: 'none', prefixes: 1 }, 6);
    const render = streamingRenderer(registry);
    for (const format of ['text', 'openmetrics'] as const) {
      const before = process.memoryUsage().arrayBuffers;
      const held: unknown[] = [];
      for await (const chunk of (await render(format)).body) held.push(chunk);
      const grown = process.memoryUsage().arrayBuffers - before;
      const bytes = held.reduce<number>((sum, chunk) => sum + Buffer.byteLength(chunk as string), 0);
      expect(bytes, format).to.be.above(5 * 1024 * 1024);
      expect(held.every((chunk) => typeof chunk === 'string')).to.equal(true);
      expect(grown, `${format}: ArrayBuffer bytes grew by ${grown}`).to.be.below(1024 * 1024);
    }
  });
});

describe('metrics/scrape-cache with a streamed body', function () {
  this.timeout(30_000);

  /** A registry whose every text render calls `collect` of one gauge once: renders are counted. */
  function counted(labelSets: number) {
    const registry = registryOf({ labelSets, native: true, traced: false, defaults: false, extras: 'none', prefixes: 1 }, 9);
    const renders = { count: 0 };
    new Gauge({
      name: 'renders_seen',
      help: 'h',
      registers: [registry],
      collect() {
        renders.count += 1;
      },
    });
    return { registry, renders };
  }

  it('shares one render among concurrent scrapes past the render budget, all getting the same bytes', async () => {
    const { registry, renders } = counted(2000);
    const app = new Koa().use(scrapeCache('/metrics', 1, 100)).use(metricsEndpoint(registry));
    const { url, server } = await listen(app);
    try {
      const bodies = await Promise.all(
        Array.from({ length: 8 }, async () => {
          const response = await fetch(url, { headers: { accept: ACCEPT.text } });
          expect(response.status).to.equal(200);
          expect(response.headers.get('content-type')).to.match(/^text\/plain/);
          return Buffer.from(await response.arrayBuffer());
        }),
      );
      expect(renders.count).to.equal(1);
      for (const body of bodies) expect(body.equals(bodies[0]!)).to.equal(true);
      expect(bodies[0]!.equals(await wholePayload(registry, 'text'))).to.equal(true);
    } finally {
      server.close();
    }
  });

  it('answers 429 past the render budget when the render was too large to keep, rendering no more', async () => {
    const { registry, renders } = counted(2000);
    const app = new Koa().use(scrapeCache('/metrics', 1, 100, 64 * 1024)).use(metricsEndpoint(registry));
    const { url, server } = await listen(app);
    try {
      const statuses = await Promise.all(
        Array.from({ length: 6 }, async () => {
          const response = await fetch(url, { headers: { accept: ACCEPT.text } });
          if (response.status === 429) expect(response.headers.get('retry-after')).to.equal('1');
          await response.arrayBuffer();
          return response.status;
        }),
      );
      expect(statuses.filter((status) => status === 200)).to.have.length(1);
      expect(statuses.filter((status) => status === 429)).to.have.length(5);
      expect(renders.count).to.equal(1);
    } finally {
      server.close();
    }
  });
});
