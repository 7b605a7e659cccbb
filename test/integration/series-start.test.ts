// A new series on the real Prometheus 3: recognised as a native histogram before its first
// observation, and counted from its start. With created-timestamp-zero-ingestion, Prometheus
// puts a zero sample at each series' start time (protobuf: created_timestamp; OpenMetrics:
// `_created`), so increase() over the first scrapes of a series counts its first requests;
// without a start time they would be lost in the first sample.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import Koa from 'koa';
import { Registry } from 'prom-client';
import { prometheusInstall } from '../../scripts/lib/prometheus-versions.ts';
import { nativeHistogramScrape, type RunningPrometheus, startPrometheus } from '../../scripts/lib/prometheus-server.ts';
import { waitFor } from '../../scripts/lib/wait.ts';
import { metricsEndpoint, RedMetrics } from '@redline/red-metrics/koa';

const prometheus3 = prometheusInstall(3);
const nativeScrape = prometheus3 ? nativeHistogramScrape(prometheus3.version) : { enableFeatures: [], target: {} };

interface Result {
  metric: Record<string, string>;
  value?: [number, string];
  histogram?: [number, { count: string }];
}

async function query(prometheus: RunningPrometheus, expr: string, time?: number): Promise<Result[]> {
  const params = new URLSearchParams({ query: expr, ...(time === undefined ? {} : { time: String(time) }) });
  const body = (await (await fetch(`${prometheus.url}/api/v1/query?${params}`)).json()) as {
    status: string;
    error?: string;
    data: { result: Result[] };
  };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data.result;
}

(prometheus3 ? describe : describe.skip)(
  `integration: a new series in Prometheus ${prometheus3?.version ?? '3 (not installed: make bootstrap)'}`,
  function () {
    this.timeout(90_000);
    let server: Server;
    let prometheus: RunningPrometheus;
    const FIRST_REQUESTS = 7;
    const JOBS = { protobuf: 'start-protobuf', openmetrics: 'start-openmetrics' } as const;

    before(async () => {
      const registry = new Registry();
      const metrics = new RedMetrics(registry, { nativeHistograms: true });
      // zeroThreshold 0: an empty histogram needs the no-op span to be told from a classic one.
      const exact = new RedMetrics(registry, { prefix: 'exact_', nativeHistograms: { zeroThreshold: 0 } });
      metrics.initialise([{ method: 'GET', route: '/idle' }]);
      exact.initialise([{ method: 'GET', route: '/idle' }]);
      const app = new Koa();
      app.use(metricsEndpoint(registry));
      server = createServer(app.callback());
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const target = `127.0.0.1:${(server.address() as AddressInfo).port}`;
      prometheus = await startPrometheus({
        binary: prometheus3!.prometheus,
        enableFeatures: [...nativeScrape.enableFeatures, 'created-timestamp-zero-ingestion'],
        scrapeInterval: '1s',
        scrapeTargets: [
          { jobName: JOBS.protobuf, targets: [target], ...nativeScrape.target },
          { jobName: JOBS.openmetrics, targets: [target], scrapeProtocols: ['OpenMetricsText1.0.0'] },
        ],
      });
      await waitFor('both jobs scraped', async () =>
        (await query(prometheus, 'up == 1')).length === 2 && (await query(prometheus, 'http_requests_total')).length === 2
          ? true
          : undefined,
      );
      // A series born between two scrapes, with its first requests already counted.
      for (let i = 0; i < FIRST_REQUESTS; i += 1) metrics.observe('GET', '/new', 200, 0.02 * (i + 1), false);
      await waitFor('the new series in both jobs', async () =>
        (await query(prometheus, 'http_requests_total{route="/new"}')).length === 2 ? true : undefined,
      );
      await sleep(2_500); // a few scrapes of it
    });
    after(async () => {
      await prometheus?.stop();
      server?.closeAllConnections();
      server?.close();
    });

    it('stores an empty histogram as native, whatever its zero threshold', async () => {
      for (const name of ['http_request_duration_seconds', 'exact_http_request_duration_seconds']) {
        const [series] = await query(prometheus, `${name}{job="${JOBS.protobuf}",route="/idle"}`);
        expect(series?.histogram, `${name}: a native histogram sample`).to.exist;
        expect(series!.histogram![1].count).to.equal('0');
      }
    });

    for (const format of ['protobuf', 'openmetrics'] as const) {
      it(`counts the first requests of a new series from its start timestamp (${format})`, async () => {
        const selector = `{job="${JOBS[format]}",route="/new"}`;
        // Evaluated at the latest scrape, so nothing is extrapolated past it.
        const [latest] = await query(prometheus, `timestamp(http_requests_total${selector})`);
        const at = Number(latest!.value![1]);
        const increase = async (expr: string) => Number((await query(prometheus, `increase(${expr}[1m])`, at))[0]?.value?.[1]);
        expect(await increase(`http_requests_total${selector}`), 'requests').to.equal(FIRST_REQUESTS);
        expect(await increase(`http_request_duration_seconds_count${selector}`), 'classic count').to.equal(FIRST_REQUESTS);
        if (format === 'protobuf') {
          // Native increase() extrapolates towards the window start past the zero sample (no
          // zero-point cut as for floats): more than the first requests, never the 0 of a flat series.
          const native = await query(prometheus, `histogram_count(increase(http_request_duration_seconds${selector}[1m]))`, at);
          expect(Number(native[0]?.value?.[1]), 'native count').to.be.within(FIRST_REQUESTS, 2 * FIRST_REQUESTS);
        }
      });
    }
  },
);
