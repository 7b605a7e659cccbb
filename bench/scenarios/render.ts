// /metrics rendering cost: time and size of the text exposition for a registry holding the
// RED metrics with about 1k, 10k and 100k series (created through RedMetrics.observe).
import { Registry } from 'prom-client';
import { RedMetrics } from '../../service/src/metrics/red-metrics.ts';
import { populateSeries } from '../fixtures/series.ts';
import { summarise, type Summary } from '../lib/stats.ts';

export interface RenderResult {
  series: number;
  labelSets: number;
  lines: number;
  bytes: number;
  ms: Summary;
}

export async function render(sizes: number[], repeats: number, log: (line: string) => void): Promise<RenderResult[]> {
  const results: RenderResult[] = [];
  for (const series of sizes) {
    const registry = new Registry();
    const labelSets = populateSeries(new RedMetrics(registry), series);
    let text = '';
    for (let i = 0; i < 3; i += 1) text = await registry.metrics(); // warm-up
    const times: number[] = [];
    for (let i = 0; i < repeats; i += 1) {
      const started = performance.now();
      text = await registry.metrics();
      times.push(performance.now() - started);
    }
    const lines = text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length;
    results.push({ series, labelSets, lines, bytes: Buffer.byteLength(text), ms: summarise(times) });
    log(`render: ${series} series rendered in ${summarise(times).median.toFixed(1)} ms (median of ${repeats})`);
  }
  return results;
}
