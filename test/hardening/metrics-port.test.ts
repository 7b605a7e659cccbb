// /metrics on its own port (METRICS_PORT), and the scrape rationing that bounds what a flood
// of /metrics can take from the API, against the real process.
import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { freePort } from '../../scripts/lib/ports.ts';
import { send } from '../support/raw-http.ts';
import { serviceEntry, startService, type RunningService } from '../../scripts/lib/service-process.ts';

describe('hardening: /metrics listener and scrape rationing (real process)', function () {
  this.timeout(30_000);
  let service: RunningService;
  let metricsUrl: string;
  before(async () => {
    const metricsPort = await freePort();
    metricsUrl = `http://127.0.0.1:${metricsPort}`;
    service = await startService({ env: { METRICS_PORT: String(metricsPort), SIM_ERROR_RATE: '0', SIM_LATENCY_FACTOR: '0' } });
  });
  after(() => service?.stop());

  it('serves /metrics on METRICS_PORT only, with the API counted there', async () => {
    expect((await fetch(`${service.url}/api/items/1`)).status).to.equal(200);
    const scrape = await fetch(`${metricsUrl}/metrics`);
    expect(scrape.status).to.equal(200);
    expect(await scrape.text()).to.match(/^http_requests_total\{method="GET",route="\/api\/items\/:id",status_code="200"\} [1-9]/m);
    expect((await fetch(`${service.url}/metrics`)).status).to.equal(404);
    expect((await fetch(`${metricsUrl}/api/items/1`)).status).to.equal(404);
    expect((await fetch(`${service.url}/healthz`)).status).to.equal(200);
  });

  it('answers a /metrics flood from rationed renders, then 429, and scrapes are fresh again a second later', async () => {
    // In waves of 20: the /metrics listener takes at most 32 connections.
    const answers: { status: number; retryAfter: string | null; body: string }[] = [];
    const started = performance.now();
    for (let round = 0; round < 6; round += 1) {
      const wave = await Promise.all(Array.from({ length: 20 }, () => send(metricsUrl, { path: '/metrics' })));
      answers.push(
        ...wave.map((a) => ({ status: a.status, retryAfter: (a.headers['retry-after'] as string | undefined) ?? null, body: a.body })),
      );
    }
    const ok = answers.filter((a) => a.status === 200);
    const limited = answers.filter((a) => a.status === 429);
    expect(ok.length + limited.length).to.equal(120);
    const seconds = (performance.now() - started) / 1000;
    // A burst of 50, then 50 a second.
    expect(ok.length).to.be.at.most(Math.ceil(50 + 50 * seconds));
    expect(limited.length).to.be.above(0);
    expect(limited.every((a) => a.retryAfter === '1' && a.body === '')).to.equal(true);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await fetch(`${service.url}/api/items/2`);
    const fresh = await (await fetch(`${metricsUrl}/metrics`)).text();
    expect(fresh).to.match(/^http_requests_total\{method="GET",route="\/api\/items\/:id",status_code="200"\} 2$/m);
  });

  it('refuses METRICS_PORT equal to PORT at startup', () => {
    const result = spawnSync(process.execPath, [serviceEntry], {
      env: { ...process.env, PORT: '18080', METRICS_PORT: '18080' },
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(result.status).to.equal(78);
    expect(result.stderr).to.match(/METRICS_PORT: must differ from PORT/);
  });
});
