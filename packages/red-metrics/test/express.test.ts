// The Express adapter in a real Express 5 app over HTTP: route templates from mounted routers,
// unmatched paths, errors Express answers with 500, and /metrics.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import express from 'express';
import { Registry } from 'prom-client';
import { metricsEndpoint, RedMetrics, redMiddleware } from '../src/express.ts';
import { samples } from '../../../test/support/listen.ts';

describe('red-metrics/express', function () {
  const registry = new Registry();
  const metrics = new RedMetrics(registry);
  const app = express();
  app.use(metricsEndpoint(registry));
  app.use(redMiddleware(metrics));
  const api = express.Router();
  api.get('/items/:id', (req, res) => {
    res.json({ id: req.params.id });
  });
  api.get('/boom', () => {
    throw new Error('kaboom');
  });
  app.use('/api', api);
  // Express logs a handler's error to stderr by default; the test expects it.
  app.use((_error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).json({ error: 'internal' });
  });
  const server = app.listen(0, '127.0.0.1');
  let url: string;
  before(async () => {
    if (!server.listening) await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const count = async (name: string, labels: Record<string, string>) =>
    (await samples(registry, name))
      .filter((s) => Object.entries(labels).every(([key, value]) => String(s.labels[key]) === value))
      .reduce((sum, s) => sum + s.value, 0);

  it('labels requests with the mounted route template, never the raw path', async function () {
    for (const id of ['1', '2', '3']) await (await fetch(`${url}/api/items/${id}`)).arrayBuffer();
    await (await fetch(`${url}/api/nowhere/7`)).arrayBuffer();
    for (let i = 0; i < 50 && (await count('http_requests_total', { route: '/api/items/:id' })) < 3; i += 1) await sleep(20);
    expect(await count('http_requests_total', { method: 'GET', route: '/api/items/:id', status_code: '200' })).to.equal(3);
    expect(await count('http_requests_total', { route: 'unmatched', status_code: '404' })).to.equal(1);
    const routes = new Set((await samples(registry, 'http_requests_total')).map((s) => s.labels.route));
    expect([...routes].sort()).to.deep.equal(['/api/items/:id', 'unmatched']);
  });

  it("counts a handler's error as the 500 Express answered (server_error)", async function () {
    expect((await fetch(`${url}/api/boom`)).status).to.equal(500);
    for (let i = 0; i < 50 && (await count('http_requests_total', { route: '/api/boom' })) < 1; i += 1) await sleep(20);
    expect(await count('http_requests_total', { route: '/api/boom', status_code: '500' })).to.equal(1);
    expect(await count('http_request_errors_total', { route: '/api/boom', error_type: 'server_error' })).to.equal(1);
  });

  it('serves /metrics in the negotiated format, and leaves it out of the RED metrics', async function () {
    const response = await fetch(`${url}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
    expect(response.headers.get('content-type')).to.match(/^application\/openmetrics-text/);
    const text = await response.text();
    expect(text).to.match(/^http_requests_total\{method="GET",route="\/api\/items\/:id",status_code="200"\} 3$/m);
    expect(text).to.not.include('route="/metrics"');
  });
});
