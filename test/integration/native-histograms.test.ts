// Native histograms end to end: a real Prometheus 3 scrapes the real service over the protobuf
// format and stores native and classic series side by side; every check goes through
// Prometheus' HTTP API.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import Koa from 'koa';
import { Registry } from 'prom-client';
import { prometheusInstall } from '../../scripts/lib/prometheus-versions.ts';
import { RedMetrics, metricsEndpoint } from '@redline/red-metrics/koa';
import { Z99 } from '../../service/src/simulation/random.ts';
import { nativeHistogramScrape, type RunningPrometheus, startPrometheus } from '../../scripts/lib/prometheus-server.ts';
import { type RunningService, startService } from '../../scripts/lib/service-process.ts';
import { waitFor } from '../../scripts/lib/wait.ts';

const prometheus3 = prometheusInstall(3);
/** The scrape settings this Prometheus version needs for native histograms (feature flag before 3.8). */
const nativeScrape = prometheus3 ? nativeHistogramScrape(prometheus3.version) : { enableFeatures: [], target: {} };
/** Relative width of a schema-3 bucket (factor 2^(1/8)): the resolution of the native quantiles. */
const SCHEMA_3_ERROR = 2 ** (1 / 8) - 1;

interface NativeValue {
  count: string;
  sum: string;
  buckets?: [number, string, string, string][];
}

/** An instant query whose result may hold native histograms (the shared client reads floats only). */
async function queryRaw(prometheus: RunningPrometheus, expr: string) {
  const response = await fetch(`${prometheus.url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
  const body = (await response.json()) as {
    status: string;
    error?: string;
    data: { result: { metric: Record<string, string>; value?: [number, string]; histogram?: [number, NativeValue] }[] };
  };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data.result;
}

async function scalar(prometheus: RunningPrometheus, expr: string): Promise<number> {
  const result = await queryRaw(prometheus, expr);
  if (result.length !== 1 || !result[0]!.value) throw new Error(`${expr}: expected one float sample, got ${JSON.stringify(result)}`);
  return Number(result[0]!.value[1]);
}

async function drive(url: string, path: string, total: number, concurrency: number) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next += 1;
        await (await fetch(url + path)).arrayBuffer();
      }
    }),
  );
}

(prometheus3 ? describe : describe.skip)(
  `integration: native histograms in Prometheus ${prometheus3?.version ?? '3 (not installed: make bootstrap)'}`,
  function () {
    this.timeout(120_000);
    let service: RunningService;
    let prometheus: RunningPrometheus;
    const job = 'redline';
    const ITEM = { median: 40, p99: 200 };
    const LIST = { median: 350, p99: 1200 };
    const N_ITEM = 600;
    const N_LIST = 240;

    before(async () => {
      service = await startService({
        env: {
          SIM_SEED: '11',
          SIM_ERROR_RATE: '0',
          SIM_GET_ITEM_MEDIAN_MS: String(ITEM.median),
          SIM_GET_ITEM_P99_MS: String(ITEM.p99),
          SIM_LIST_ITEMS_MEDIAN_MS: String(LIST.median),
          SIM_LIST_ITEMS_P99_MS: String(LIST.p99),
        },
      });
      prometheus = await startPrometheus({
        binary: prometheus3!.prometheus,
        enableFeatures: nativeScrape.enableFeatures,
        scrapeInterval: '1s',
        scrapeTargets: [{ jobName: job, targets: [`${service.host}:${service.port}`], ...nativeScrape.target }],
      });
      await Promise.all([drive(service.url, '/api/items/1', N_ITEM, 8), drive(service.url, '/api/items', N_LIST, 12)]);
      // Two scrapes after the traffic, so the latest sample holds every request.
      await sleep(2_500);
      await waitFor('the last requests in Prometheus', async () => {
        const count = await scalar(prometheus, `sum(http_request_duration_seconds_count{job="${job}",route="/api/items"})`).catch(() => 0);
        return count >= N_LIST ? true : undefined;
      });
    });
    after(async () => {
      await prometheus?.stop();
      await service?.stop();
    });

    const native = (route: string) => `http_request_duration_seconds{job="${job}",route="${route}",status_code="200"}`;
    const classic = (suffix: string, route: string, extra = '') =>
      `http_request_duration_seconds_${suffix}{job="${job}",route="${route}",status_code="200"${extra}}`;

    it('stores a native histogram next to the classic series', async () => {
      const [series] = await queryRaw(prometheus, native('/api/items/:id'));
      expect(series?.histogram, 'a native histogram sample').to.exist;
      const buckets = series!.histogram![1].buckets!;
      // Schema 3: neighbouring boundaries differ by 2^(1/8).
      const [, lower, upper] = buckets.find(([, , , count]) => Number(count) > 0)!;
      expect(Number(upper) / Number(lower)).to.be.closeTo(2 ** (1 / 8), 1e-9);
      expect(await scalar(prometheus, `count(${classic('bucket', '/api/items/:id')})`)).to.equal(15);
    });

    it('histogram_count and histogram_sum equal the classic _count and _sum', async () => {
      for (const route of ['/api/items/:id', '/api/items']) {
        const count = await scalar(prometheus, `histogram_count(${native(route)})`);
        expect(count).to.equal(await scalar(prometheus, classic('count', route)));
        expect(count).to.equal(route === '/api/items' ? N_LIST : N_ITEM);
        expect(await scalar(prometheus, `histogram_sum(${native(route)})`)).to.equal(await scalar(prometheus, classic('sum', route)));
      }
    });

    it('histogram_quantile over the native series matches the configured latency distribution', async () => {
      // Log-normal: median m, p99 = m * e^(Z99 * sigma). What the service measures is that wait
      // plus its own time per request (HTTP, timers on a busy machine), estimated here as the
      // observed mean less the configured one. Sampling N requests moves a quantile by about
      // sigma * sqrt(q(1-q)/N) / phi(z) in log space, and the mean by sd/sqrt(N): three of each
      // are allowed, plus the width of one schema-3 bucket.
      const sigma = Math.log(ITEM.p99 / ITEM.median) / Z99;
      const configuredMean = (ITEM.median * Math.exp((sigma * sigma) / 2)) / 1000;
      const meanError = (3 * configuredMean * Math.sqrt(Math.exp(sigma * sigma) - 1)) / Math.sqrt(N_ITEM);
      const observedMean = (await scalar(prometheus, `histogram_sum(${native('/api/items/:id')})`)) / N_ITEM;
      const overhead = observedMean - configuredMean;
      expect(overhead, 'service time per request').to.be.within(-meanError, 0.02);
      for (const [q, z] of [
        [0.5, 0],
        [0.9, 1.2816],
      ] as const) {
        const configured = (ITEM.median * Math.exp(z * sigma)) / 1000;
        const phi = Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI);
        const samplingError = configured * (Math.exp((3 * sigma * Math.sqrt((q * (1 - q)) / N_ITEM)) / phi) - 1);
        const expected = configured + overhead;
        const tolerance = SCHEMA_3_ERROR * expected + samplingError + meanError;
        const measured = await scalar(prometheus, `histogram_quantile(${q}, ${native('/api/items/:id')})`);
        expect(measured - expected, `p${q * 100}: ${measured} s against ${expected} s (±${tolerance.toFixed(4)} s)`).to.be.within(
          -tolerance,
          tolerance,
        );
      }
    });

    it('histogram_fraction(0, 0.5) agrees with the classic le="0.5" ratio', async () => {
      const fraction = await scalar(prometheus, `histogram_fraction(0, 0.5, ${native('/api/items')})`);
      const ratio = await scalar(
        prometheus,
        `${classic('bucket', '/api/items', ',le="0.5"')} / ignoring(le) ${classic('count', '/api/items')}`,
      );
      expect(ratio).to.be.within(0.55, 0.9); // the boundary sits inside the distribution
      // 0.5 = 2^-1 is a boundary of every native schema: the same requests fall below it.
      expect(fraction).to.be.closeTo(ratio, 1e-9);
    });
  },
);

(prometheus3 ? describe : describe.skip)('integration: the native bucket limit, scraped by Prometheus 3', function () {
  this.timeout(60_000);
  let server: Server;
  let prometheus: RunningPrometheus;
  const values: number[] = [];

  before(async () => {
    // A Koa app of its own holding values from 1 µs to 1000 s: far more than 160 buckets at
    // schema 3, so the histogram must lower its resolution.
    const registry = new Registry();
    const metrics = new RedMetrics(registry, { nativeHistograms: true });
    let seed = 3;
    for (let i = 0; i < 20_000; i += 1) {
      seed = (seed * 48271) % 2147483647;
      values.push(10 ** (-6 + (9 * seed) / 2147483647));
      metrics.observe('GET', '/wide', 200, values[i]!, false);
    }
    const app = new Koa();
    app.use(metricsEndpoint(registry));
    server = createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    prometheus = await startPrometheus({
      binary: prometheus3!.prometheus,
      enableFeatures: nativeScrape.enableFeatures,
      scrapeInterval: '1s',
      scrapeTargets: [{ jobName: 'wide', targets: [`127.0.0.1:${port}`], ...nativeScrape.target }],
    });
    await waitFor('the wide histogram in Prometheus', async () =>
      (await queryRaw(prometheus, 'http_request_duration_seconds{job="wide"}')).length > 0 ? true : undefined,
    );
  });
  after(async () => {
    await prometheus?.stop();
    server?.closeAllConnections();
    server?.close();
  });

  it('keeps at most 160 buckets by lowering the schema, and stays accurate at that schema', async () => {
    const [series] = await queryRaw(prometheus, 'http_request_duration_seconds{job="wide"}');
    const buckets = series!.histogram![1].buckets!.filter(([, , , count]) => Number(count) > 0);
    expect(buckets.length).to.be.at.most(160);
    const ratios = buckets.map(([, lower, upper]) => Number(upper) / Number(lower)).filter((ratio) => Number.isFinite(ratio));
    const factor = Math.min(...ratios);
    const schema = Math.round(-Math.log2(Math.log2(factor)));
    expect(schema).to.be.below(3);
    expect(buckets.length, 'the limit was reached, not undershot by much').to.be.above(60);
    expect(Number(series!.histogram![1].count)).to.equal(values.length);
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0.1, 0.5, 0.99]) {
      const truth = sorted[Math.ceil(q * sorted.length) - 1]!;
      const measured = await scalar(prometheus, `histogram_quantile(${q}, http_request_duration_seconds{job="wide"})`);
      expect(measured / truth - 1, `q${q}`).to.be.within(-(factor - 1), factor - 1);
    }
  });
});
