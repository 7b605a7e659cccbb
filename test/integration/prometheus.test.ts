// The real thing: the service as a process, scraped by a real Prometheus (each installed
// version: 3.x, and 2.x), checked only through Prometheus' HTTP API.
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { type RunningPrometheus, startPrometheus } from '../../scripts/lib/prometheus-server.ts';
import { type RunningService, startService } from '../../scripts/lib/service-process.ts';
import { waitFor } from '../../scripts/lib/wait.ts';
import { forEachPrometheus, type PrometheusInstall } from '../support/each-prometheus.ts';

const ERROR_RATE = 0.2;

/** Sends `perSecond` requests per second to each path for `seconds`, in parallel. */
async function drive(url: string, paths: string[], perSecond: number, seconds: number) {
  let sent = 0;
  const started = Date.now();
  const end = started + seconds * 1000;
  while (Date.now() < end) {
    const tick = Date.now();
    await Promise.all(
      paths.flatMap((path) =>
        Array.from({ length: perSecond / 10 }, async () => {
          sent += 1;
          await (await fetch(url + path)).arrayBuffer();
        }),
      ),
    );
    await sleep(Math.max(0, 100 - (Date.now() - tick)));
  }
  return { sent, perPathRate: sent / paths.length / ((Date.now() - started) / 1000), ended: new Date() };
}

function integration(this: Mocha.Suite, install: PrometheusInstall) {
  this.timeout(90_000);
  let service: RunningService;
  let prometheus: RunningPrometheus;
  const job = 'redline';

  before(async () => {
    service = await startService({
      env: {
        SIM_SEED: '7',
        SIM_ERROR_RATE: '0',
        SIM_LIST_ITEMS_ERROR_RATE: String(ERROR_RATE),
        SIM_LIST_ITEMS_MEDIAN_MS: '2',
        SIM_LIST_ITEMS_P99_MS: '5',
        // log-normal with median 60 ms and p99 200 ms: the true p95 is about 140 ms
        SIM_GET_ITEM_MEDIAN_MS: '60',
        SIM_GET_ITEM_P99_MS: '200',
      },
    });
    prometheus = await startPrometheus({
      binary: install.prometheus,
      scrapeInterval: '1s',
      scrapeTargets: [{ jobName: job, targets: [`${service.host}:${service.port}`], labels: { namespace: 'local' } }],
    });
  });
  after(async () => {
    await prometheus?.stop();
    await service?.stop();
  });

  it('sees the target up with the scrape labels the rules rely on', async () => {
    const target = await waitFor('the target to be up', async () => {
      const targets = await prometheus.targets();
      return targets.find((t) => t.scrapePool === job && t.health === 'up');
    });
    expect(target.labels).to.include({ job, namespace: 'local' });
    const up = await prometheus.query(`up{job="${job}"}`);
    expect(up.map((s) => s.value)).to.deep.equal([1]);
  });

  it('has every known route at zero before any traffic', async () => {
    const series = await waitFor('initial series', async () => {
      const found = await prometheus.query('http_requests_total{job="redline"} == 0');
      return found.length >= 5 ? found : undefined;
    });
    expect(series.map((s) => s.metric.route)).to.include.members([
      '/api/items',
      '/api/items/:id',
      '/api/orders',
      '/api/orders/:id',
      '/api/checkout',
    ]);
  });

  it('reports rate, error ratio and p95 matching the simulation', async () => {
    const { sent, perPathRate, ended } = await drive(service.url, ['/api/items', '/api/items/5'], 40, 12);
    expect(sent).to.be.above(400); // 40 req/s per path offered; a busy machine may fall behind
    await sleep(2_500); // two more scrapes

    // Evaluated at the end of the traffic, so the window holds only traffic, however late we ask.
    const rate = await prometheus.query(`sum by (route) (rate(http_requests_total{job="redline",route="/api/items"}[10s]))`, ended);
    expect(rate[0]?.value).to.be.closeTo(perPathRate, perPathRate * 0.3);

    const ratio = await prometheus.query(
      `sum by (route) (rate(http_request_errors_total{job="redline",route="/api/items"}[1m])) / sum by (route) (rate(http_requests_total{job="redline",route="/api/items"}[1m]))`,
    );
    // n requests at p = 0.2: allow 4.5 standard deviations
    const n = sent / 2;
    expect(ratio[0]?.value).to.be.closeTo(ERROR_RATE, 4.5 * Math.sqrt((ERROR_RATE * (1 - ERROR_RATE)) / n));

    const p95 = await prometheus.query(
      `histogram_quantile(0.95, sum by (le, route) (rate(http_request_duration_seconds_bucket{job="redline",route="/api/items/:id"}[1m])))`,
    );
    // the true p95 (~0.14 s) lies in the (0.1, 0.25] bucket; interpolation stays inside it
    expect(p95[0]?.value).to.be.within(0.1, 0.25);

    const noErrors = await prometheus.query(`sum(rate(http_request_errors_total{job="redline",route="/api/items/:id"}[1m]))`);
    expect(noErrors[0]?.value).to.equal(0);
  });

  it('keeps the series count bounded after thousands of random paths and methods', async () => {
    const countSeries = async () => (await prometheus.query('count({job="redline",__name__=~"http_.*"})'))[0]!.value;
    const before = await countSeries();
    const methods = ['GET', 'POST', 'DELETE', 'PUT'];
    for (let batch = 0; batch < 30; batch += 1) {
      await Promise.all(
        Array.from({ length: 100 }, async (_, i) => {
          const n = batch * 100 + i;
          const path = i % 4 === 0 ? `/api/items/${n}x` : `/${Math.random().toString(36).slice(2)}/${n}?q=${n}`;
          await (await fetch(service.url + path, { method: methods[n % methods.length] })).arrayBuffer();
        }),
      );
    }
    await sleep(2_500);
    const after = await countSeries();
    // a handful of new (method, unmatched|known route, 404|405|400) series: never one per path
    expect(after - before).to.be.within(0, 80);
    const routes = await prometheus.labelValues('route', '{job="redline"}');
    expect(routes.every((route) => route === 'unmatched' || route.startsWith('/api/'))).to.equal(true);
    expect(routes.length).to.be.at.most(6);
  });
}

describe('integration: a real Prometheus scraping the real service', () => forEachPrometheus({}, integration));
