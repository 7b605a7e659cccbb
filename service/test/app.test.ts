// How createApp wires /metrics: answered by the RED middleware itself (one middleware for the
// API to cross), or, with METRICS_PORT, only on the scrape app (the API crosses no scrape check).
import { expect } from 'chai';
import { listen } from '../../test/support/listen.ts';
import { serveApp } from './support/app-fixture.ts';

const SCRAPE_MIDDLEWARE = ['serveMetrics', 'rationScrapes', 'serveScrapes'];
const names = (app: { middleware: { name: string }[] }) => app.middleware.map((fn) => fn.name);

describe('app: /metrics wiring', () => {
  it('without METRICS_PORT, the RED middleware answers /metrics and no scrape middleware precedes it', async () => {
    const app = await serveApp();
    try {
      expect(app.metricsApp).to.equal(undefined);
      const chain = names(app.app);
      expect(chain).to.include('recordRed');
      expect(chain.filter((name) => SCRAPE_MIDDLEWARE.includes(name))).to.deep.equal([]);
      const scrape = await fetch(`${app.server.url}/metrics`);
      expect(scrape.status).to.equal(200);
      expect(await scrape.text()).to.include('# TYPE http_requests_total counter');
      expect((await app.json('/api/items')).status).to.equal(200);
      const counted = /http_requests_total\{method="GET",route="\/api\/items",status_code="200"\} 1\n/;
      let text = await app.registry.metrics();
      // Recorded when the response closes, which may come a moment after the client has it.
      for (let i = 0; i < 50 && !counted.test(text); i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        text = await app.registry.metrics();
      }
      expect(text).to.match(counted);
      expect(text).not.to.match(/route="\/metrics"/);
    } finally {
      await app.server.close();
    }
  });

  it('with METRICS_PORT, the API app has no /metrics at all and the scrape app serves it', async () => {
    const app = await serveApp({ METRICS_PORT: '9797' });
    const scrapeServer = await listen(app.metricsApp!);
    try {
      expect(names(app.app).filter((name) => SCRAPE_MIDDLEWARE.includes(name))).to.deep.equal([]);
      // On the API's port /metrics is just an unknown path, counted as such.
      expect((await app.json('/metrics')).status).to.equal(404);
      const counted = /http_requests_total\{method="GET",route="unmatched",status_code="404"\} 1\n/;
      let body = '';
      // Recorded when the response closes, which may come a moment after the client has it.
      for (let i = 0; i < 5 && !counted.test(body); i += 1) {
        if (i > 0) await new Promise((resolve) => setTimeout(resolve, 20));
        const scrape = await fetch(`${scrapeServer.url}/metrics`);
        expect(scrape.status).to.equal(200);
        body = await scrape.text();
      }
      expect(body).to.match(counted);
      expect((await fetch(`${scrapeServer.url}/api/items`)).status).to.equal(404);
    } finally {
      await scrapeServer.close();
      await app.server.close();
    }
  });
});
