// The RED of a running `make local`, drawn from its Prometheus' HTTP API as one SVG (the recorded
// rate, error ratio and p95 per route the live table reads, over the last minutes), for docs/images/. Debian's Prometheus package
// ships no web UI (its React UI is fetched from GitHub at install time, which the build machines
// cannot reach), so this draws what the graph page would show for the same series.
//   node hack/red-plot.ts [--prometheus-url http://127.0.0.1:9090] [--minutes 10] [--out docs/images/red-local.svg]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PrometheusClient } from '../scripts/lib/prometheus-api.ts';
import { redQueries } from '../scripts/lib/red-summary.ts';
import { svgOf, type TopLevelSpec } from '../scripts/lib/svg-plot.ts';

/** The panels: the recorded series the local summary reads (scripts/lib/red-summary.ts), over 1m. */
const queries = redQueries('namespace="local",job="redline"');
export const PANELS = [
  { title: 'Rate (req/s)', expr: queries.rate },
  { title: 'Errors (ratio of requests answered 5xx)', expr: queries.errorRatio },
  { title: 'Duration (p95, seconds)', expr: queries.p95 },
] as const;

const usage = 'usage: node hack/red-plot.ts [--prometheus-url URL] [--minutes N] [--out FILE.svg]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'prometheus-url': { type: 'string', default: 'http://127.0.0.1:9090' },
      minutes: { type: 'string', default: '10' },
      out: { type: 'string', default: 'docs/images/red-local.svg' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return void console.log(usage);
  const minutes = Number(values.minutes);
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440)
    throw new Error(`--minutes ${values.minutes}: expected a whole number from 1 to 1440`);
  const prometheus = new PrometheusClient(values['prometheus-url']);
  const end = new Date();
  const start = new Date(end.getTime() - minutes * 60_000);
  const panels: TopLevelSpec[] = [];
  for (const panel of PANELS) {
    const series = await prometheus.queryRange(panel.expr, start, end, 15);
    const points = series.flatMap((s) =>
      s.values.filter(([, v]) => Number.isFinite(v)).map(([t, v]) => ({ time: t * 1000, value: v, route: s.metric.route ?? '' })),
    );
    if (points.length === 0) throw new Error(`no data for ${panel.expr}: is make local running against ${prometheus.url}?`);
    panels.push({
      title: { text: panel.title, subtitle: panel.expr, subtitleFontSize: 9 },
      width: 620,
      height: 160,
      data: { values: points },
      mark: { type: 'line', interpolate: 'monotone' },
      encoding: {
        x: { field: 'time', type: 'temporal', title: null, axis: { format: '%H:%M', tickCount: 10 } },
        y: { field: 'value', type: 'quantitative', title: null },
        color: { field: 'route', type: 'nominal', title: 'route' },
      },
    } as TopLevelSpec);
  }
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    title: `redline under make local: RED per route, last ${minutes} min (${end.toISOString().slice(0, 16)}Z)`,
    vconcat: panels,
  } as TopLevelSpec;
  const out = resolve(values.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${await svgOf(spec)}\n`);
  console.log(`wrote ${out}`);
}

main().catch((error: unknown) => {
  console.error(`red-plot: ${(error as Error).message}`);
  process.exitCode = 1;
});
