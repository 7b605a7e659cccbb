// A screenshot of Prometheus' own graph page showing the RED queries of a running `make local`,
// taken with headless Chromium (Debian's `chromium` package), for docs/. Prometheus 3's UI is a
// single-page app: Chromium is given a virtual-time budget to load it and draw the graphs.
//   node hack/screenshot-prometheus.ts [--prometheus-url http://127.0.0.1:9090] [--out docs/images/prometheus-red.png]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

/** The panels: one query each, as a person would type them into the graph page. */
export const PANELS = [
  'sum by (route) (rate(http_requests_total{job="redline"}[1m]))',
  'sum by (route) (rate(http_request_errors_total{job="redline"}[1m])) / sum by (route) (rate(http_requests_total{job="redline"}[1m]))',
  'histogram_quantile(0.95, sum by (route, le) (rate(http_request_duration_seconds_bucket{job="redline"}[1m])))',
];

/** The graph page's URL with every panel on the graph tab over the last `range`. */
export function graphUrl(prometheus: string, panels: readonly string[], range = '15m'): string {
  const params = new URLSearchParams();
  panels.forEach((expr, i) => {
    params.set(`g${i}.expr`, expr);
    params.set(`g${i}.tab`, 'graph');
    params.set(`g${i}.range_input`, range);
  });
  return `${prometheus.replace(/\/$/, '')}/query?${params}`;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      'prometheus-url': { type: 'string', default: 'http://127.0.0.1:9090' },
      out: { type: 'string', default: 'docs/images/prometheus-red.png' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log('usage: node hack/screenshot-prometheus.ts [--prometheus-url URL] [--out FILE.png]');
    return;
  }
  const out = resolve(values.out);
  const profile = mkdtempSync(join(tmpdir(), 'redline-chromium-'));
  try {
    // The flags keep Chromium off the network it would otherwise call at start (none here).
    execFileSync(
      'chromium',
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--hide-scrollbars',
        `--user-data-dir=${profile}`,
        '--window-size=1400,1800',
        '--virtual-time-budget=15000',
        `--screenshot=${out}`,
        graphUrl(values['prometheus-url'], PANELS),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 },
    );
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
  console.log(`wrote ${out} (${statSync(out).size} bytes)`);
}

if (import.meta.main) main();
