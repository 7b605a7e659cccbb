// The Fastify adapter in a real Fastify 5 app over HTTP: route patterns as templates, unmatched
// paths, errors Fastify answers with 500, and /metrics left out of the RED metrics.
import { expect } from 'chai';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { metricsRoute, RedMetrics, redHooks } from '../src/fastify.ts';
import { samples } from '../../../test/support/listen.ts';

describe('red-metrics/fastify', function () {
  const registry = new Registry();
  const metrics = new RedMetrics(registry, { nativeHistograms: true });
  const app = Fastify();
  redHooks(app, metrics);
  metricsRoute(app, registry);
  app.get('/items/:id', async (request) => ({ id: (request.params as { id: string }).id }));
  app.get('/boom', async () => {
    throw new Error('kaboom');
  });
  let url: string;
  before(async () => {
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(() => app.close());

  const count = async (name: string, labels: Record<string, string>) =>
    (await samples(registry, name))
      .filter((s) => Object.entries(labels).every(([key, value]) => String(s.labels[key]) === value))
      .reduce((sum, s) => sum + s.value, 0);
  const settled = async (name: string, labels: Record<string, string>, want: number) => {
    for (let i = 0; i < 100 && (await count(name, labels)) < want; i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    return count(name, labels);
  };

  it('labels requests with the route pattern, and paths no route matched as unmatched', async function () {
    for (const id of ['1', '2']) await (await fetch(`${url}/items/${id}`)).arrayBuffer();
    await (await fetch(`${url}/nowhere`)).arrayBuffer();
    expect(await settled('http_requests_total', { method: 'GET', route: '/items/:id', status_code: '200' }, 2)).to.equal(2);
    expect(await settled('http_requests_total', { route: 'unmatched', status_code: '404' }, 1)).to.equal(1);
  });

  it("counts a handler's error as the 500 Fastify answered (server_error)", async function () {
    expect((await fetch(`${url}/boom`)).status).to.equal(500);
    expect(await settled('http_request_errors_total', { route: '/boom', status_code: '500', error_type: 'server_error' }, 1)).to.equal(1);
  });

  it('serves /metrics in the negotiated format and does not count it', async function () {
    const response = await fetch(`${url}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
    expect(response.headers.get('content-type')).to.match(/^application\/openmetrics-text/);
    const text = await response.text();
    expect(text).to.match(/^http_requests_total\{method="GET",route="\/items\/:id",status_code="200"\} 2$/m);
    await (await fetch(`${url}/metrics`)).arrayBuffer();
    expect(await count('http_requests_total', { route: '/metrics' })).to.equal(0);
  });
});
