// scrape_duration_seconds as a real Prometheus 3 records it: a Koa + redline server (its own
// process, native histograms on) holding `series` series, scraped every 5 s (the chart's
// interval) by three jobs, one per format, for `seconds`; the durations are read back from
// Prometheus' own series.
import { setTimeout as sleep } from 'node:timers/promises';
import { nativeHistogramScrape, startPrometheus } from '../../scripts/lib/prometheus-server.ts';
import { prometheusInstall } from '../../scripts/lib/prometheus-versions.ts';
import { startSubject } from '../lib/subjects.ts';

export interface PrometheusScrapeResult {
  version: string;
  series: number;
  intervalSeconds: number;
  seconds: number;
  jobs: { format: string; scrapes: number; medianSeconds: number; maxSeconds: number; samples: number }[];
}

const INTERVAL_SECONDS = 5;

export async function prometheusScrape(
  series: number,
  seconds: number,
  log: (line: string) => void,
): Promise<PrometheusScrapeResult | undefined> {
  const install = prometheusInstall(3);
  if (!install) {
    log('prometheus: no Prometheus 3 installed (make bootstrap-prometheus); skipped');
    return undefined;
  }
  const subject = await startSubject({ name: 'scraped', kind: 'koa-redline-native', series });
  const target = new URL(subject.url).host;
  const native = nativeHistogramScrape(install.version);
  const jobs = {
    protobuf: { ...native.target },
    openmetrics: { scrapeProtocols: ['OpenMetricsText1.0.0'] },
    text: { scrapeProtocols: ['PrometheusText0.0.4'] },
  };
  const prometheus = await startPrometheus({
    binary: install.prometheus,
    enableFeatures: native.enableFeatures,
    scrapeInterval: `${INTERVAL_SECONDS}s`,
    scrapeTargets: Object.entries(jobs).map(([format, options]) => ({ jobName: format, targets: [target], ...options })),
  });
  try {
    log(`prometheus: Prometheus ${install.version} scraping ${series} series every ${INTERVAL_SECONDS} s in 3 formats for ${seconds} s`);
    await sleep(seconds * 1000);
    const value = async (expr: string) => {
      const body = (await (await fetch(`${prometheus.url}/api/v1/query?${new URLSearchParams({ query: expr })}`)).json()) as {
        data: { result: { value: [number, string] }[] };
      };
      return Number(body.data.result[0]?.value[1] ?? Number.NaN);
    };
    const window = `${seconds}s`;
    const result: PrometheusScrapeResult = { version: install.version, series, intervalSeconds: INTERVAL_SECONDS, seconds, jobs: [] };
    for (const format of Object.keys(jobs)) {
      const job = `job="${format}"`;
      result.jobs.push({
        format,
        scrapes: await value(`count_over_time(scrape_duration_seconds{${job}}[${window}])`),
        medianSeconds: await value(`quantile_over_time(0.5, scrape_duration_seconds{${job}}[${window}])`),
        maxSeconds: await value(`max_over_time(scrape_duration_seconds{${job}}[${window}])`),
        samples: await value(`scrape_samples_scraped{${job}}`),
      });
    }
    for (const j of result.jobs)
      log(
        `prometheus: ${j.format}: ${j.scrapes} scrapes, scrape_duration_seconds median ${(j.medianSeconds * 1000).toFixed(1)} ms, max ${(j.maxSeconds * 1000).toFixed(1)} ms, ${j.samples} samples`,
      );
    return result;
  } finally {
    await prometheus.stop();
    await subject.stop();
  }
}
