// The longest event-loop block a scrape causes: a Koa server in this process holds `series`
// RED series (native histograms on) behind scrapeCache and metricsEndpoint, as the service
// does; perf_hooks.monitorEventLoopDelay (1 ms resolution) watches its loop. Each round pairs
// a window in which curl (another process) scrapes /metrics with a window in which curl asks
// for a path that answers at once (the A/A control: the same process start and connection,
// no render), in random order. The CPU of a scrape is this process's CPU in the scraped window
// less that of its paired control.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Koa from 'koa';
import { Registry } from 'prom-client';
import { metricsEndpoint, RedMetrics, scrapeCache } from '@redline/red-metrics/koa';
import { populateSeries } from '../fixtures/series.ts';
import { curl } from '../lib/curl.ts';
import { summarise, type Summary } from '../lib/stats.ts';

export interface StallResult {
  series: number;
  format: 'text' | 'protobuf';
  rounds: number;
  /** The longest loop delay (ms) of each scraped window. */
  blockMs: Summary;
  /** The same, windows without a render. */
  controlBlockMs: Summary;
  worstBlockMs: number;
  /** CPU of this process per scrape, less the paired control window's. */
  cpuMs: Summary;
  bytes: number;
}

const ACCEPT = {
  text: 'text/plain;version=0.0.4',
  protobuf: 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited',
};

async function window(url: string, accept: string): Promise<{ maxMs: number; cpuMs: number; bytes: number }> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const cpu = process.cpuUsage();
  const { bytes } = await curl(url, accept);
  const used = process.cpuUsage(cpu);
  await new Promise((resolve) => setTimeout(resolve, 5)); // a last sample after the answer
  delay.disable();
  return { maxMs: delay.max / 1e6, cpuMs: (used.user + used.system) / 1000, bytes };
}

export async function stall(sizes: number[], rounds: number, log: (line: string) => void): Promise<StallResult[]> {
  const results: StallResult[] = [];
  for (const series of sizes) {
    const registry = new Registry();
    populateSeries(new RedMetrics(registry, { nativeHistograms: true }), series);
    const app = new Koa();
    // A render budget no round meets: every scrape renders.
    app.use(scrapeCache('/metrics', 1000, 1000)).use(metricsEndpoint(registry));
    app.use((ctx) => void (ctx.body = 'ok'));
    const server: Server = createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      for (const format of ['text', 'protobuf'] as const) {
        for (let i = 0; i < 3; i += 1) await curl(`${base}/metrics`, ACCEPT[format]); // warm-up
        const blocks: number[] = [];
        const control: number[] = [];
        const cpu: number[] = [];
        let bytes = 0;
        for (let round = 0; round < rounds; round += 1) {
          const scrapeFirst = Math.random() < 0.5;
          const runScrape = () => window(`${base}/metrics`, ACCEPT[format]);
          const runControl = () => window(`${base}/ok`, ACCEPT[format]);
          const first = await (scrapeFirst ? runScrape() : runControl());
          await new Promise((resolve) => setTimeout(resolve, 20));
          const second = await (scrapeFirst ? runControl() : runScrape());
          const [scraped, quiet] = scrapeFirst ? [first, second] : [second, first];
          blocks.push(scraped.maxMs);
          control.push(quiet.maxMs);
          cpu.push(scraped.cpuMs - quiet.cpuMs);
          bytes = scraped.bytes;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        const result: StallResult = {
          series,
          format,
          rounds,
          blockMs: summarise(blocks),
          controlBlockMs: summarise(control),
          worstBlockMs: Math.max(...blocks),
          cpuMs: summarise(cpu),
          bytes,
        };
        results.push(result);
        log(
          `stall: ${series} series ${format}: longest block ${result.blockMs.median.toFixed(2)} ms (IQR ${result.blockMs.q1.toFixed(2)}–${result.blockMs.q3.toFixed(2)}, worst ${result.worstBlockMs.toFixed(2)}), A/A ${result.controlBlockMs.median.toFixed(2)} ms, CPU ${result.cpuMs.median.toFixed(1)} ms, ${bytes} B`,
        );
      }
    } finally {
      server.close();
    }
  }
  return results;
}
