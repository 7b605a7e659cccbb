// The results of a bench run drawn as SVG: Vega-Lite specs rendered headless
// (scripts/lib/svg-plot.ts), so `make bench` and `make bench-plots` draw the
// same pictures on any machine. One plot per scenario that has results; docs/benchmarks.md
// links the committed ones.
//   node bench/plots.ts RESULTS.json OUT_DIR    redraw from a saved run (make bench-plots)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { svgOf, type TopLevelSpec } from '../scripts/lib/svg-plot.ts';
import { type Results, scrapeResults } from './report.ts';

const WIDTH = 560;
// White, so the plots read the same in GitHub's dark theme; long labels kept whole.
const CONFIG = { background: 'white', config: { legend: { labelLimit: 320 }, axisY: { labelLimit: 360 } } } as const;

/** A bar per row with its IQR as an error bar, and dashed reference lines. */
function barsWithIqr(
  title: string,
  axis: string,
  rows: { label: string; median: number; q1: number; q3: number }[],
  rules: { value: number; label: string }[],
): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...CONFIG,
    title,
    width: WIDTH,
    data: { values: rows },
    layer: [
      {
        mark: { type: 'bar', color: '#4c78a8' },
        encoding: {
          y: { field: 'label', type: 'nominal', sort: null, title: null, axis: { labelLimit: 320 } },
          x: { field: 'median', type: 'quantitative', title: axis, scale: { zero: false } },
        },
      },
      {
        mark: { type: 'rule', color: 'black' },
        encoding: { y: { field: 'label', type: 'nominal', sort: null }, x: { field: 'q1', type: 'quantitative' }, x2: { field: 'q3' } },
      },
      ...rules.map((rule) => ({
        data: { values: [rule] },
        mark: { type: 'rule' as const, strokeDash: [4, 4], color: '#e45756' },
        encoding: { x: { field: 'value', type: 'quantitative' as const } },
      })),
    ],
  };
}

/** Render time against registry size, one line per exposition path, both axes logarithmic. */
function renderLines(results: NonNullable<Results['render']>): TopLevelSpec {
  const values = results.flatMap((r) => [
    { series: r.series, what: 'text, wall', ms: r.ms.median },
    { series: r.series, what: 'text, CPU', ms: r.cpuMs.median },
    { series: r.series, what: 'protobuf, wall', ms: r.protobufMs.median },
    { series: r.series, what: 'prom-client Histogram, wall', ms: r.promClientMs.median },
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...CONFIG,
    title: '/metrics render time by registry size (median)',
    width: WIDTH,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'series', type: 'quantitative', scale: { type: 'log' }, title: 'series' },
      y: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'ms per render' },
      color: { field: 'what', type: 'nominal', title: null },
    },
  };
}

/** Each plot's file name and spec, for the scenarios `results` has. */
export function plotSpecs(results: Results): Map<string, TopLevelSpec> {
  const specs = new Map<string, TopLevelSpec>();
  if (results.overhead) {
    specs.set(
      'overhead.svg',
      barsWithIqr(
        'Throughput of the instrumented server against its baseline (median, IQR)',
        'throughput b/a',
        results.overhead.map((r) => ({ label: r.label, ...r.throughput })),
        [
          { value: 1, label: 'no cost' },
          { value: 0.97, label: 'target' },
        ],
      ),
    );
  }
  if (results.render) specs.set('render.svg', renderLines(results.render));
  const scrapes = scrapeResults(results);
  if (scrapes.length) {
    specs.set(
      'scrape.svg',
      barsWithIqr(
        `p99 while scraped once per ${scrapes[0]!.burstSeconds} s burst, against an unscraped twin (A/A: two unscraped)`,
        'p99 ratio',
        scrapes.flatMap((s) => [
          { label: `${s.series / 1000}k ${s.format}${s.prerendered ? ' pre-rendered' : ''}: scraped`, ...s.scraped },
          { label: `${s.series / 1000}k ${s.format}${s.prerendered ? ' pre-rendered' : ''}: A/A`, ...s.control },
        ]),
        [
          { value: 1.05, label: 'target 10k' },
          { value: 1.1, label: 'target 100k' },
        ],
      ),
    );
  }
  if (results.stall) {
    specs.set(
      'stall.svg',
      barsWithIqr(
        'Longest event-loop block in a scrape window (monitorEventLoopDelay), ms',
        'ms',
        results.stall.flatMap((r) => [
          { label: `${r.series / 1000}k ${r.format}: scraped`, ...r.blockMs },
          { label: `${r.series / 1000}k ${r.format}: A/A`, ...r.controlBlockMs },
        ]),
        [{ value: 5, label: 'target' }],
      ),
    );
  }
  return specs;
}

/** Writes every plot of `results` into `dir`; returns the files written. */
export async function writePlots(results: Results, dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, spec] of plotSpecs(results)) {
    const file = join(dir, name);
    writeFileSync(file, `${await svgOf(spec)}\n`);
    written.push(file);
  }
  return written;
}

if (import.meta.main) {
  const [resultsFile, dir] = process.argv.slice(2);
  if (!resultsFile || !dir) {
    console.error('usage: node bench/plots.ts RESULTS.json OUT_DIR');
    process.exit(2);
  }
  const files = await writePlots(JSON.parse(readFileSync(resultsFile, 'utf8')) as Results, dir);
  for (const file of files) console.log(`wrote ${file}`);
}
