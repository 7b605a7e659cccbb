import { expect } from 'chai';
import { serveApp } from './support/app-fixture.ts';

describe('health and /metrics endpoints', () => {
  let app: Awaited<ReturnType<typeof serveApp>>;
  before(async () => {
    app = await serveApp();
  });
  after(() => app.server.close());

  it('answers liveness and readiness, and readiness follows shutdown', async () => {
    expect((await app.json('/healthz')).body).to.deep.equal({ status: 'ok' });
    expect((await app.json('/readyz')).status).to.equal(200);
    app.readiness.markShuttingDown();
    expect((await app.json('/readyz')).status).to.equal(503);
    expect((await app.json('/healthz')).status).to.equal(200);
  });

  it('keeps probes and scrapes out of the RED metrics', async () => {
    for (let i = 0; i < 5; i += 1) {
      await app.json('/healthz');
      await app.json('/readyz');
      await app.json('/metrics');
    }
    const text = await app.registry.metrics();
    expect(text).not.to.match(/route="(\/healthz|\/readyz|\/metrics)"/);
    expect(text).not.to.match(/http_requests_total\{method="GET",route="unmatched"/);
  });
});
