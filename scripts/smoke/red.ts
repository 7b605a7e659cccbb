// The RED queries per route (Rate, Errors as a ratio, Duration as p95), written against the
// metric names in docs/architecture.md and filtered to redline's namespace and job labels.
import type { PrometheusClient } from '../lib/prometheus-api.ts';

export interface RedRow {
  route: string;
  /** Requests per second. */
  rate: number;
  /** 5xx responses / all responses, 0..1; NaN when the route had no requests. */
  errorRatio: number;
  /** 95th percentile latency in seconds; NaN when the route had no requests. */
  p95: number;
}

export function redQueries(selector: string, window: string) {
  const requests = `sum by (route) (rate(http_requests_total{${selector}}[${window}]))`;
  const errors = `sum by (route) (rate(http_request_errors_total{${selector}}[${window}]))`;
  return {
    rate: requests,
    // A route with no error series yet counts as 0 errors rather than vanishing from the table.
    errorRatio: `(${errors} or ${requests} * 0) / ${requests}`,
    p95: `histogram_quantile(0.95, sum by (route, le) (rate(http_request_duration_seconds_bucket{${selector}}[${window}])))`,
  };
}

export async function redTable(client: PrometheusClient, selector: string, window: string): Promise<RedRow[]> {
  const queries = redQueries(selector, window);
  const [rate, errorRatio, p95] = await Promise.all([
    client.query(queries.rate),
    client.query(queries.errorRatio),
    client.query(queries.p95),
  ]);
  const byRoute = (samples: typeof rate) => new Map(samples.map((s) => [s.metric.route ?? '', s.value]));
  const errors = byRoute(errorRatio);
  const latency = byRoute(p95);
  return rate
    .map((s) => {
      const route = s.metric.route ?? '';
      return { route, rate: s.value, errorRatio: errors.get(route) ?? Number.NaN, p95: latency.get(route) ?? Number.NaN };
    })
    .sort((a, b) => a.route.localeCompare(b.route));
}
