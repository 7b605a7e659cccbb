// GET /metrics on the whole app: formats, negotiation, and scrapes of both formats at once.
import { expect } from 'chai';
import { prefersOpenMetrics } from '../../src/metrics/index.ts';
import { serveApp } from '../app-fixture.ts';

describe('metrics/endpoint', () => {
  let app: Awaited<ReturnType<typeof serveApp>>;
  before(async () => {
    app = await serveApp();
  });
  after(() => app.server.close());

  it('serves the Prometheus text format by default', async () => {
    const response = await fetch(`${app.server.url}/metrics`);
    expect(response.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    for (const name of ['http_requests_total', 'http_request_errors_total', 'http_request_duration_seconds', 'http_requests_in_flight', 'process_cpu_seconds_total', 'nodejs_eventloop_lag_seconds']) {
      expect(text).to.include(`# TYPE ${name} `);
    }
  });

  it('serves OpenMetrics when asked', async () => {
    const response = await fetch(`${app.server.url}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
    expect(response.headers.get('content-type')).to.match(/^application\/openmetrics-text/);
    const text = await response.text();
    expect(text.trimEnd().endsWith('# EOF')).to.equal(true);
    expect(text).to.include('# TYPE http_requests counter');
  });
});

describe('metrics/endpoint formats', () => {
  let app: Awaited<ReturnType<typeof serveApp>>;
  before(async () => {
    app = await serveApp();
  });
  after(() => app.server.close());
  const scrape = async (openMetrics: boolean) =>
    (await fetch(`${app.server.url}/metrics`, { headers: openMetrics ? { accept: 'application/openmetrics-text;version=1.0.0;q=0.5,text/plain;q=0.3' } : {} })).text();

  it('keeps counter names whole in the text format after an OpenMetrics scrape', async () => {
    await app.json('/api/items/1');
    expect(await scrape(true)).to.include('# TYPE http_requests counter');
    const text = await scrape(false);
    expect(text).to.include('# TYPE http_requests_total counter');
    expect(text).to.match(/^http_requests_total\{method="GET",route="\/api\/items\/:id",status_code="200"\} 1$/m);
  });

  it('serves concurrent scrapes of both formats each in its own format', async () => {
    const bodies = await Promise.all(Array.from({ length: 20 }, (_, i) => scrape(i % 2 === 0).then((body) => [i % 2 === 0, body] as const)));
    for (const [openMetrics, body] of bodies) {
      if (openMetrics) {
        expect(body.trimEnd().endsWith('# EOF')).to.equal(true);
        expect(body).not.to.include('# TYPE http_requests_total counter');
      } else {
        expect(body).to.include('# TYPE http_requests_total counter');
        expect(body).not.to.include('# EOF');
      }
    }
  });
});

describe('metrics/endpoint negotiation', () => {
  it('ranks the formats as Prometheus asks', () => {
    expect(prefersOpenMetrics('application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2')).to.equal(true);
    expect(prefersOpenMetrics('text/plain;version=0.0.4;q=1,application/openmetrics-text;q=0.5')).to.equal(false);
    expect(prefersOpenMetrics('*/*')).to.equal(false);
    expect(prefersOpenMetrics('')).to.equal(false);
  });
});
