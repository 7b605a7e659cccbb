// The per-route RED numbers, read from Prometheus: what `make local` prints, what the smoke
// test reports. It writes no RED expression: it reads the series the chart's redline.red
// recording rules record (charts/redline/templates/prometheusrule.yaml), so its numbers are the
// dashboard's. The local stack and the smoke's Prometheus load those rules.
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

/** The window the summary reads: the chart always records the per-route RED series over 1m (and 5m). */
export const RED_SUMMARY_WINDOW = '1m';

/** Names of the recorded series the summary reads; `window` must be one the rules record (1m, 5m, prometheusRule.redWindows). */
export function redRecords(window: string = RED_SUMMARY_WINDOW) {
  return {
    rate: `namespace_job_route:http_requests:rate${window}`,
    errorRatio: `namespace_job_route:http_request_errors:ratio_rate${window}`,
    quantile: `namespace_job_route:http_request_duration_seconds:quantile_rate${window}`,
  };
}

/** The summary's queries: the recorded series of its service. */
export function redQueries(selector: string, window: string = RED_SUMMARY_WINDOW) {
  const records = redRecords(window);
  return {
    rate: `${records.rate}{${selector}}`,
    errorRatio: `${records.errorRatio}{${selector}}`,
    p95: `${records.quantile}{${selector},quantile="0.95"}`,
  };
}

export async function redByRoute(prometheus: PrometheusClient, selector: string, window: string = RED_SUMMARY_WINDOW): Promise<RouteRed[]> {
  const queries = redQueries(selector, window);
  const [rates, errorRatios, p95s] = await Promise.all([
    prometheus.query(queries.rate),
    prometheus.query(queries.errorRatio),
    prometheus.query(queries.p95),
  ]);
  const byRoute = (samples: { metric: Record<string, string>; value: number }[]) =>
    new Map(samples.map((s) => [s.metric.route ?? '', s.value]));
  const errorRatioMap = byRoute(errorRatios);
  const p95Map = byRoute(p95s);
  return rates
    .map((s) => {
      const route = s.metric.route ?? '';
      return {
        route,
        rate: s.value,
        // The rule records 0 for a route that served requests but never failed, NaN for none.
        errorRatio: errorRatioMap.get(route) ?? Number.NaN,
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
