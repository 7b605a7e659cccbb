// scrapeCache in front of metricsEndpoint, over real HTTP: past the render budget a scrape gets
// the latest render of its own format, and past the answer budget a 429 with Retry-After.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import Koa from 'koa';
import { Registry } from 'prom-client';
import { PROTOBUF_CONTENT_TYPE, RedMetrics, metricsEndpoint, scrapeCache } from '../src/koa.ts';

const ACCEPT = {
  text: 'text/plain;version=0.0.4',
  openmetrics: 'application/openmetrics-text;version=1.0.0',
  protobuf: `${PROTOBUF_CONTENT_TYPE};q=0.9,text/plain;version=0.0.4;q=0.5`,
};

async function serve(rendersPerSecond: number, scrapesPerSecond: number): Promise<{ url: string; server: Server }> {
  const registry = new Registry();
  new RedMetrics(registry, { nativeHistograms: true }).observe('GET', '/a', 200, 0.01, false);
  const app = new Koa();
  app.use(scrapeCache('/metrics', rendersPerSecond, scrapesPerSecond));
  app.use(metricsEndpoint(registry));
  const server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`, server };
}

describe('metrics/scrape-cache', () => {
  it('answers each format in its own format once renders are rationed (never a cached page of another)', async () => {
    const { url, server } = await serve(1, 100);
    try {
      for (const format of ['text', 'protobuf', 'openmetrics', 'protobuf', 'text'] as const) {
        const response = await fetch(url, { headers: { accept: ACCEPT[format] } });
        expect(response.status).to.equal(200);
        const type = response.headers.get('content-type') ?? '';
        if (format === 'protobuf') expect(type, format).to.include('application/vnd.google.protobuf');
        else if (format === 'openmetrics') expect(type, format).to.include('application/openmetrics-text');
        else expect(type, format).to.match(/^text\/plain/);
        await response.arrayBuffer();
      }
    } finally {
      server.close();
    }
  });

  it('answers 429 with Retry-After past the answer budget', async () => {
    const { url, server } = await serve(100, 2);
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i += 1) {
        const response = await fetch(url);
        statuses.push(response.status);
        if (response.status === 429) expect(response.headers.get('retry-after')).to.equal('1');
        await response.arrayBuffer();
      }
      expect(statuses.slice(0, 2)).to.deep.equal([200, 200]);
      expect(statuses.slice(2)).to.include(429);
    } finally {
      server.close();
    }
  });
});
