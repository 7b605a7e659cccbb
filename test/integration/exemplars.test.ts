// Exemplars end to end: the load generator sends sampled traceparent headers to the real
// service, a real Prometheus 3 with exemplar storage scrapes it over OpenMetrics and over
// protobuf, and /api/v1/query_exemplars returns the trace ids that were sent.
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { prometheusInstall } from '../../scripts/lib/prometheus-versions.ts';
import { nativeHistogramScrape, type RunningPrometheus, startPrometheus } from '../../scripts/lib/prometheus-server.ts';
import { type RunningService, startService } from '../../scripts/lib/service-process.ts';
import { waitFor } from '../../scripts/lib/wait.ts';
import { runLoad } from '../../service/src/loadgen/runner.ts';

const prometheus3 = prometheusInstall(3);
const nativeScrape = prometheus3 ? nativeHistogramScrape(prometheus3.version) : { enableFeatures: [], target: {} };

interface ExemplarSeries {
  seriesLabels: Record<string, string>;
  exemplars: { labels: Record<string, string>; value: string; timestamp: number }[];
}

async function queryExemplars(prometheus: RunningPrometheus, expr: string): Promise<ExemplarSeries[]> {
  const now = Date.now() / 1000;
  const params = new URLSearchParams({ query: expr, start: String(now - 600), end: String(now + 60) });
  const body = (await (await fetch(`${prometheus.url}/api/v1/query_exemplars?${params}`)).json()) as {
    status: string;
    error?: string;
    data: ExemplarSeries[];
  };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data;
}

(prometheus3 ? describe : describe.skip)(
  `integration: exemplars in Prometheus ${prometheus3?.version ?? '3 (not installed: make bootstrap)'}`,
  function () {
    this.timeout(120_000);
    let service: RunningService;
    let prometheus: RunningPrometheus;
    const sent = new Set<string>();
    const JOBS = { protobuf: 'exemplars-protobuf', openmetrics: 'exemplars-openmetrics' } as const;

    before(async () => {
      service = await startService({ env: { SIM_SEED: '5', SIM_ERROR_RATE: '0' } });
      const target = `${service.host}:${service.port}`;
      prometheus = await startPrometheus({
        binary: prometheus3!.prometheus,
        enableFeatures: [...nativeScrape.enableFeatures, 'exemplar-storage'],
        scrapeInterval: '1s',
        scrapeTargets: [
          { jobName: JOBS.protobuf, targets: [target], ...nativeScrape.target },
          { jobName: JOBS.openmetrics, targets: [target], scrapeProtocols: ['OpenMetricsText1.0.0'] },
        ],
      });
      await runLoad(
        { target: service.url, rate: 40, durationMs: 4_000, maxInFlight: 40, timeoutMs: 5_000, seed: 3, json: true, progressMs: 0 },
        new AbortController().signal,
        undefined,
        ({ traceId }) => sent.add(traceId),
      );
      await sleep(2_500); // scrapes after the last requests
    });
    after(async () => {
      await prometheus?.stop();
      await service?.stop();
    });

    for (const format of ['openmetrics', 'protobuf'] as const) {
      it(`returns the trace ids the load generator sent (${format})`, async () => {
        const job = JOBS[format];
        const traceIdsOf = (series: ExemplarSeries[]) => series.flatMap((s) => s.exemplars.map((e) => e.labels.trace_id!));
        let found: ExemplarSeries[] = [];
        await waitFor(`exemplars of job ${job}`, async () => {
          found = await queryExemplars(prometheus, `{job="${job}",__name__=~"http_request.*"}`);
          return traceIdsOf(found).length > 0 ? true : undefined;
        });
        const names = new Set(found.map((series) => series.seriesLabels.__name__));
        expect([...names], 'exemplars on the counter and the latency buckets').to.include.members([
          'http_requests_total',
          'http_request_duration_seconds_bucket',
        ]);
        const traceIds = traceIdsOf(found);
        expect(traceIds.length).to.be.above(10);
        for (const traceId of traceIds) expect(sent.has(traceId), `trace ${traceId} was sent`).to.equal(true);
        for (const series of found) {
          for (const exemplar of series.exemplars) {
            expect(exemplar.labels.span_id).to.match(/^[0-9a-f]{16}$/);
            expect(exemplar.timestamp * 1000).to.be.within(Date.now() - 120_000, Date.now() + 1_000);
          }
        }
      });
    }

    it('keeps the native histogram exemplars from protobuf on the native series', async () => {
      const found = await queryExemplars(prometheus, `http_request_duration_seconds{job="${JOBS.protobuf}"}`);
      const traceIds = found.flatMap((series) => series.exemplars.map((e) => e.labels.trace_id!));
      expect(traceIds.length).to.be.above(0);
      for (const traceId of traceIds) expect(sent.has(traceId)).to.equal(true);
    });
  },
);
