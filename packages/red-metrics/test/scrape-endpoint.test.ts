import Router from '@koa/router';
import { expect } from 'chai';
import Koa from 'koa';
import { Registry } from 'prom-client';
import { RedMetrics, decodeProtobuf, redMiddleware, scrapeEndpoint, type ScrapeEndpointOptions } from '../src/koa.ts';
import { listen, samples, type Listening } from '../../../test/support/listen.ts';

const PROTOBUF_ACCEPT = 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited';

/** Any Koa app, with redMiddleware answering scrapes itself (one middleware for both). */
function oneHopApp(options: ScrapeEndpointOptions = {}) {
  const registry = new Registry();
  const metrics = new RedMetrics(registry, { nativeHistograms: true });
  const router = new Router();
  router.get('/hello', (ctx) => {
    ctx.body = 'hello';
  });
  const app = new Koa();
  app.silent = true;
  app.use(redMiddleware(metrics, { routers: [router], scrape: scrapeEndpoint(registry, options) }));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return { app, registry };
}

const requestsBy = async (registry: Registry, labels: Record<string, string>) =>
  (await samples(registry, 'http_requests_total'))
    .filter((s) => Object.entries(labels).every(([k, v]) => String(s.labels[k]) === v))
    .reduce((sum, s) => sum + s.value, 0);

describe('metrics/scrape-endpoint: redMiddleware answering /metrics itself', () => {
  let server: Listening;
  let registry: Registry;
  beforeEach(async () => {
    const made = oneHopApp();
    registry = made.registry;
    server = await listen(made.app);
  });
  afterEach(() => server.close());

  it('serves the registry in the format the scraper asks for, and never counts a scrape', async () => {
    await (await fetch(`${server.url}/hello`)).text();
    const text = await fetch(`${server.url}/metrics`);
    expect(text.status).to.equal(200);
    expect(text.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
    expect(text.headers.get('cache-control')).to.equal('no-store');
    expect(await text.text()).to.match(/http_requests_total\{method="GET",route="\/hello",status_code="200"\} 1\n/);
    const protobuf = await fetch(`${server.url}/metrics`, { headers: { accept: PROTOBUF_ACCEPT } });
    const families = decodeProtobuf(new Uint8Array(await protobuf.arrayBuffer()));
    expect(families.map((family) => family.name)).to.include('http_request_duration_seconds');
    const head = await fetch(`${server.url}/metrics`, { method: 'HEAD' });
    expect(head.status).to.equal(200);
    // Only /hello was counted: the three scrapes were answered before any recording began.
    expect(await requestsBy(registry, {})).to.equal(1);
    expect(await requestsBy(registry, { route: 'unmatched' })).to.equal(0);
    expect((await samples(registry, 'http_requests_in_flight'))[0]?.value).to.equal(0);
  });

  it('records requests that only look like scrapes: another method, a longer path', async () => {
    expect((await fetch(`${server.url}/metrics`, { method: 'POST' })).status).to.equal(404);
    expect((await fetch(`${server.url}/metrics/extra`)).status).to.equal(404);
    expect((await fetch(`${server.url}/metricsz`)).status).to.equal(404);
    // The 'close' of each response is recorded after the answer: wait for all three.
    for (let i = 0; i < 100 && (await requestsBy(registry, { route: 'unmatched', status_code: '404' })) < 3; i += 1)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await requestsBy(registry, { route: 'unmatched', status_code: '404' })).to.equal(3);
    expect(await requestsBy(registry, { method: 'POST' })).to.equal(1);
  });

  it('answers the query-string form of the path as a scrape', async () => {
    expect((await fetch(`${server.url}/metrics?name[]=up`)).status).to.equal(200);
    expect(await requestsBy(registry, {})).to.equal(0);
  });
});

describe('metrics/scrape-endpoint options', () => {
  it('rations scrapes answered through redMiddleware: 429 with Retry-After past the budget', async () => {
    const made = oneHopApp({ scrapesPerSecond: 2, rendersPerSecond: 1 });
    const server = await listen(made.app);
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i += 1) {
        const response = await fetch(`${server.url}/metrics`);
        await response.arrayBuffer();
        statuses.push(response.status);
        if (response.status === 429) expect(response.headers.get('retry-after')).to.equal('1');
      }
      expect(statuses.slice(0, 2)).to.deep.equal([200, 200]);
      expect(statuses.slice(2)).to.include(429);
    } finally {
      await server.close();
    }
  });

  it('serves a path of its choice, in an app of its own, and passes everything else on', async () => {
    const registry = new Registry();
    new RedMetrics(registry);
    const app = new Koa();
    app.silent = true;
    app.use(scrapeEndpoint(registry, { path: '/internal/metrics' }).middleware());
    app.use((ctx) => {
      ctx.status = 418;
    });
    const server = await listen(app);
    try {
      const scrape = await fetch(`${server.url}/internal/metrics`);
      expect(scrape.status).to.equal(200);
      expect(await scrape.text()).to.include('# TYPE http_requests_total counter');
      expect((await fetch(`${server.url}/metrics`)).status).to.equal(418);
      expect((await fetch(`${server.url}/internal/metrics`, { method: 'DELETE' })).status).to.equal(418);
    } finally {
      await server.close();
    }
  });

  it('refuses a path that does not start with "/", naming it', () => {
    expect(() => scrapeEndpoint(new Registry(), { path: 'metrics' })).to.throw('path must start with "/", got "metrics"');
  });
});
