// The cost of a scrape to traffic: three identical Koa + redline servers (native histograms on) holding `series`
// RED series take the same fixed-rate load at once; in each round one of them (in turn) is
// scraped once, by curl in a process of its own. Its p99 is compared with an unscraped twin in
// the same round; the two unscraped ones give the A/A control.
import { curl } from '../lib/curl.ts';
import { paced } from '../lib/paced.ts';
import { quantile, summarise, type Summary } from '../lib/stats.ts';
import { startSubject, stopAll, type Subject } from '../lib/subjects.ts';

export interface ScrapeOptions {
  series: number;
  /**
   * The control: scrape the same bytes rendered once at start (/metrics-prerendered, text),
   * what moving the body costs the service without a render.
   */
  prerendered?: boolean;
  /** The format asked for: the text format, or protobuf as Prometheus 3 with native histograms asks. */
  format: 'text' | 'protobuf';
  rounds: number;
  burstSeconds: number;
  rate: number;
  log: (line: string) => void;
}

export interface ScrapeResult {
  series: number;
  prerendered?: boolean;
  format: 'text' | 'protobuf';
  rate: number;
  burstSeconds: number;
  /** p99 scraped / p99 unscraped, per round. */
  scraped: Summary;
  /** p99 unscraped / p99 unscraped, per round. */
  control: Summary;
  p99PlainMs: number;
  p99ScrapedMs: number;
  scrapeMs: Summary;
  failures: number;
}

const ACCEPT = {
  text: 'text/plain;version=0.0.4',
  protobuf:
    'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.5,text/plain;version=0.0.4;q=0.2',
};

/** One scrape by curl (another process, as Prometheus is), after `afterMs`; its time, ms. */
async function scrapeOnce(subject: Subject, afterMs: number, format: ScrapeOptions['format'] = 'text', path = '/metrics'): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, afterMs));
  return (await curl(`${subject.url}${path}`, ACCEPT[format])).ms;
}

export async function scrape(options: ScrapeOptions): Promise<ScrapeResult> {
  const subjects: Subject[] = [];
  if (options.prerendered && options.format !== 'text') throw new Error('the prerendered control is in the text format only');
  const path = options.prerendered ? '/metrics-prerendered' : '/metrics';
  try {
    for (const name of ['s1', 's2', 's3']) subjects.push(await startSubject({ name, kind: 'koa-redline-native', series: options.series }));
    options.log(
      `scrape: 3 servers with ${options.series} series${options.prerendered ? ' (control: scraping them pre-rendered)' : ''}, ${options.rounds} rounds of ${options.burstSeconds}s at ${options.rate} req/s each, one scrape per round`,
    );
    // Warm-up: JIT the request path and the renderer.
    await Promise.all(
      subjects.map((s) =>
        Promise.all([paced({ url: `${s.url}/hello`, rate: options.rate, seconds: 2 }), scrapeOnce(s, 500, options.format, path)]),
      ),
    );

    const scraped: number[] = [];
    const control: number[] = [];
    const plainP99: number[] = [];
    const scrapedP99: number[] = [];
    const scrapeMs: number[] = [];
    let failures = 0;
    for (let round = 0; round < options.rounds; round += 1) {
      const [target, reference, twin] = [0, 1, 2].map((i) => subjects[(round + i) % 3]!);
      const burstMs = options.burstSeconds * 1000;
      const [results, took] = await Promise.all([
        Promise.all(
          [target!, reference!, twin!].map((s) => paced({ url: `${s.url}/hello`, rate: options.rate, seconds: options.burstSeconds })),
        ),
        scrapeOnce(target!, burstMs * (0.25 + Math.random() * 0.5), options.format, path),
      ]);
      const [p99Target, p99Reference, p99Twin] = results.map((r) => quantile(r.latenciesMs, 0.99)) as [number, number, number];
      scraped.push(p99Target / p99Reference);
      control.push(p99Twin / p99Reference);
      plainP99.push(p99Reference);
      scrapedP99.push(p99Target);
      scrapeMs.push(took);
      failures += results.reduce((n, r) => n + r.failures, 0);
      if ((round + 1) % 10 === 0) options.log(`  round ${round + 1}/${options.rounds}`);
    }
    return {
      series: options.series,
      ...(options.prerendered ? { prerendered: true } : {}),
      format: options.format,
      rate: options.rate,
      burstSeconds: options.burstSeconds,
      scraped: summarise(scraped),
      control: summarise(control),
      p99PlainMs: summarise(plainP99).median,
      p99ScrapedMs: summarise(scrapedP99).median,
      scrapeMs: summarise(scrapeMs),
      failures,
    };
  } finally {
    await stopAll(subjects);
  }
}
