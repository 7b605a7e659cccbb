// The per-route RED numbers, read from Prometheus: what `make local` prints, what the smoke
// test reports. Knows only metric names and Prometheus' API.
import type { Alert, PrometheusClient } from './prometheus-api.ts';

export interface RouteRed {
  route: string;
  /** Requests per second. */
  rate: number;
  /** Share of requests that failed (5xx), 0..1; NaN when there was no traffic. */
  errorRatio: number;
  /** 95th percentile latency in seconds; NaN when unknown. */
  p95: number;
}

export function redQueries(selector: string, window: string) {
  return {
    rate: `sum by (route) (rate(http_requests_total{${selector}}[${window}]))`,
    errors: `sum by (route) (rate(http_request_errors_total{${selector}}[${window}]))`,
    p95: `histogram_quantile(0.95, sum by (le, route) (rate(http_request_duration_seconds_bucket{${selector}}[${window}])))`,
  };
}

export async function redByRoute(prometheus: PrometheusClient, selector: string, window = '1m'): Promise<RouteRed[]> {
  const queries = redQueries(selector, window);
  const [rates, errors, p95s] = await Promise.all([
    prometheus.query(queries.rate),
    prometheus.query(queries.errors),
    prometheus.query(queries.p95),
  ]);
  const byRoute = (samples: { metric: Record<string, string>; value: number }[]) =>
    new Map(samples.map((s) => [s.metric.route ?? '', s.value]));
  const errorMap = byRoute(errors);
  const p95Map = byRoute(p95s);
  return rates
    .map((s) => {
      const route = s.metric.route ?? '';
      return {
        route,
        rate: s.value,
        errorRatio: s.value > 0 ? (errorMap.get(route) ?? 0) / s.value : Number.NaN,
        p95: p95Map.get(route) ?? Number.NaN,
      };
    })
    .sort((a, b) => a.route.localeCompare(b.route));
}

/** A fixed-width table for terminals and CI logs. */
export function formatRedTable(rows: RouteRed[]): string {
  const header = ['route', 'req/s', 'errors', 'p95'];
  const cells = rows.map((r) => [
    r.route,
    r.rate.toFixed(2),
    Number.isNaN(r.errorRatio) ? '-' : `${(r.errorRatio * 100).toFixed(2)}%`,
    Number.isNaN(r.p95) ? '-' : `${(r.p95 * 1000).toFixed(0)} ms`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/**
 * One line for the alerts of `namespace`/`job`: each Redline* alert pending or firing, with its
 * SLO and severity, or a line saying none is.
 */
export function formatAlertsLine(alerts: Alert[], namespace: string, job: string): string {
  const ours = alerts
    .filter((a) => (a.labels.alertname ?? '').startsWith('Redline') && a.labels.namespace === namespace && a.labels.job === job)
    .sort((a, b) =>
      a.state === b.state ? (a.labels.alertname ?? '').localeCompare(b.labels.alertname ?? '') : a.state === 'firing' ? -1 : 1,
    );
  if (ours.length === 0) return 'alerts: none pending or firing';
  const one = (a: Alert) => {
    const details = [
      a.labels.slo && `slo=${a.labels.slo}`,
      a.labels.severity,
      a.labels.long_window && `${a.labels.long_window}/${a.labels.short_window}`,
    ];
    return `${a.state} ${a.labels.alertname} (${details.filter(Boolean).join(', ')})`;
  };
  return `alerts: ${ours.map(one).join('; ')}`;
}

/** The alerts line Prometheus gives now (the error, if asking failed): what `make local` prints under its table. */
export async function alertsLine(prometheus: PrometheusClient, namespace: string, job: string): Promise<string> {
  const alerts = await prometheus.alerts().catch((error: Error) => error);
  return alerts instanceof Error ? `alerts: (Prometheus: ${alerts.message})` : formatAlertsLine(alerts, namespace, job);
}
