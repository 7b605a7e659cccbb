// The redline RED dashboard: the one source of truth for the chart's ConfigMap, the local
// stack and compose, built with the Grafana Foundation SDK. `make dashboard` writes two
// variants into charts/redline/dashboards/: redline.json for the classic histogram (Prometheus
// 2.x and 3.x) and redline-native.json for the native one (Prometheus 3,
// metrics.nativeHistograms in the chart). The RED and SLO panels write no RED expression: they
// read the series the chart's recording rules record (charts/redline/templates/
// prometheusrule.yaml), which always include the 5m window, the quantiles 0.5, 0.95 and 0.99,
// and the SLO windows 5m, 1h, 6h, 1d and 3d; the rules pick the histogram. Only the saturation
// row and the exemplar panel read raw series (see there); charts/redline/test/contract.test.ts
// holds it so.
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { datasourceVariable, labelValuesVariable, withRows, type PanelSpec } from './panels.ts';

export interface DashboardOptions {
  /** Describe the latency panels as read from the native histogram (the rules read it natively). */
  nativeHistograms?: boolean;
}

/** Series of the selected service. */
const SERVICE = 'namespace="$namespace", job="$job"';
/** Series of the selected service and routes. */
const ROUTES = `${SERVICE}, route=~"$route"`;

/** The per-route RED series of the chart's redline.red rules, over the 5m window they always record. */
const REQUEST_RATE = 'namespace_job_route:http_requests:rate5m';
const STATUS_CODE_RATE = 'namespace_job_route_status_code:http_requests:rate5m';
const ERROR_RATIO = 'namespace_job_route:http_request_errors:ratio_rate5m';
const DURATION_QUANTILE = 'namespace_job_route:http_request_duration_seconds:quantile_rate5m';

/** Burn rate over a window: the recorded SLO error ratio divided by the error budget (1 - objective). */
const burnRate = (window: string) =>
  `namespace_job:slo_errors:ratio_rate${window}{${SERVICE}} / on (namespace, job, slo) (1 - namespace_job:slo_objective:ratio{${SERVICE}})`;

const durationPanel = (q: number, label: string, native: boolean): PanelSpec => ({
  title: `Duration ${label} by route`,
  description: native
    ? `${label} request duration per route over 5m, from the native http_request_duration_seconds histogram (histogram_quantile over exponential buckets: within a few percent of the true value; recorded by the redline.red rules).`
    : `${label} request duration per route over 5m, from the http_request_duration_seconds histogram (histogram_quantile; interpolated within the bucket; recorded by the redline.red rules).`,
  unit: 's',
  min: 0,
  width: 8,
  queries: [{ expr: `${DURATION_QUANTILE}{${ROUTES}, quantile="${q}"}`, legend: '{{route}}' }],
});

/**
 * The one RED panel that reads the raw histogram, because exemplars live only on the scraped
 * series (a recording rule keeps none): p99 per route with the traces of sampled requests
 * (the load generator's traceparent, or a traced client's) as points to click.
 */
const exemplarPanel = (native: boolean): PanelSpec => ({
  title: 'Traces behind the latency (exemplars)',
  description: `p99 per route computed from the raw ${native ? 'native ' : ''}http_request_duration_seconds histogram, with its exemplars: each point is a sampled request and links to its trace. The panels above read the recorded series, which carry no exemplars.`,
  unit: 's',
  min: 0,
  width: 24,
  queries: [
    {
      expr: native
        ? `histogram_quantile(0.99, sum by (route) (rate(http_request_duration_seconds{${ROUTES}}[$__rate_interval])))`
        : `histogram_quantile(0.99, sum by (route, le) (rate(http_request_duration_seconds_bucket{${ROUTES}}[$__rate_interval])))`,
      legend: '{{route}}',
      exemplars: true,
    },
  ],
});

const red = (native: boolean): PanelSpec[] => [
  {
    title: 'Request rate by route',
    description:
      'Rate: requests per second per route template over 5m, all status codes (http_requests_total; recorded by the redline.red rules).',
    unit: 'reqps',
    min: 0,
    width: 8,
    queries: [{ expr: `${REQUEST_RATE}{${ROUTES}}`, legend: '{{route}}' }],
  },
  {
    title: 'Request rate by status code',
    description:
      'Requests per second by HTTP status code over 5m (recorded by the redline.red rules). 499 means the client went away before the answer; 4xx and 499 are not errors.',
    unit: 'reqps',
    min: 0,
    width: 8,
    queries: [{ expr: `sum by (status_code) (${STATUS_CODE_RATE}{${ROUTES}})`, legend: '{{status_code}}' }],
  },
  {
    title: 'Error ratio by route',
    description:
      'Errors: share of requests answered 5xx per route over 5m (http_request_errors_total / http_requests_total; recorded by the redline.red rules).',
    unit: 'percentunit',
    min: 0,
    width: 8,
    queries: [{ expr: `${ERROR_RATIO}{${ROUTES}}`, legend: '{{route}}' }],
  },
  durationPanel(0.5, 'p50', native),
  durationPanel(0.95, 'p95', native),
  durationPanel(0.99, 'p99', native),
];

const slo: PanelSpec[] = [
  {
    title: 'Error budget remaining',
    kind: 'stat',
    description:
      'Share of the error budget left over the SLO period (slo.period in the chart values, 30d by default): 1 - error ratio / (1 - objective). Below 0 the SLO is missed. Recorded by the redline.slo rules.',
    unit: 'percentunit',
    width: 6,
    decimals: 1,
    thresholds: [
      { value: 0, color: 'orange' },
      { value: 0.25, color: 'green' },
    ],
    queries: [{ expr: `namespace_job:slo_error_budget_remaining:ratio{${SERVICE}}`, legend: '{{slo}}' }],
  },
  {
    title: 'Burn rate (page windows)',
    description:
      'How many times faster than sustainable the error budget burns, over the windows of the paging alerts (1h, 6h). 1 spends the budget exactly in the SLO period; the lines mark the 6x and 14.4x page thresholds.',
    unit: 'x',
    min: 0,
    width: 9,
    thresholds: [
      { value: 6, color: 'orange' },
      { value: 14.4, color: 'red' },
    ],
    queries: [
      { expr: burnRate('1h'), legend: '{{slo}} 1h' },
      { expr: burnRate('6h'), legend: '{{slo}} 6h' },
    ],
  },
  {
    title: 'Burn rate (ticket windows)',
    description:
      'Burn rate over the windows of the ticket alerts (1d, 3d) and the shortest window (5m). The lines mark the 1x and 3x ticket thresholds.',
    unit: 'x',
    min: 0,
    width: 9,
    thresholds: [
      { value: 1, color: 'yellow' },
      { value: 3, color: 'orange' },
    ],
    queries: [
      { expr: burnRate('5m'), legend: '{{slo}} 5m' },
      { expr: burnRate('1d'), legend: '{{slo}} 1d' },
      { expr: burnRate('3d'), legend: '{{slo}} 3d' },
    ],
  },
];

// Raw series, on purpose: saturation per instance is not RED, no rule records it and nothing
// else computes it (so there is nothing to keep in step), and the gauges are shown as scraped.
// CPU is the one rate, at the dashboard's resolution. The contract test lists these metrics.
const saturation: PanelSpec[] = [
  {
    title: 'In-flight requests',
    description:
      'Requests being served right now, per instance (http_requests_in_flight). Rising with flat traffic means requests queue up.',
    unit: 'short',
    min: 0,
    width: 6,
    queries: [{ expr: `sum by (instance) (http_requests_in_flight{${SERVICE}})`, legend: '{{instance}}' }],
  },
  {
    title: 'Event loop lag p99',
    description:
      'p99 delay of the Node.js event loop per instance (nodejs_eventloop_lag_p99_seconds): CPU-bound work blocks every request.',
    unit: 's',
    min: 0,
    width: 6,
    queries: [{ expr: `max by (instance) (nodejs_eventloop_lag_p99_seconds{${SERVICE}})`, legend: '{{instance}}' }],
  },
  {
    title: 'Memory',
    description:
      'Resident set size and V8 heap in use per instance (process_resident_memory_bytes, nodejs_heap_size_used_bytes). Compare with the container memory limit.',
    unit: 'bytes',
    min: 0,
    width: 6,
    queries: [
      { expr: `sum by (instance) (process_resident_memory_bytes{${SERVICE}})`, legend: 'rss {{instance}}' },
      { expr: `sum by (instance) (nodejs_heap_size_used_bytes{${SERVICE}})`, legend: 'heap {{instance}}' },
    ],
  },
  {
    title: 'CPU',
    description: 'CPU time per second per instance (process_cpu_seconds_total): 100% is one core. Compare with the container CPU limit.',
    unit: 'percentunit',
    min: 0,
    width: 6,
    queries: [{ expr: `sum by (instance) (rate(process_cpu_seconds_total{${SERVICE}}[$__rate_interval]))`, legend: '{{instance}}' }],
  },
];

export function redlineDashboard(options: DashboardOptions = {}): dashboard.Dashboard {
  const builder = new dashboard.DashboardBuilder('redline / RED')
    .uid('redline-red')
    .description('Rate, Errors, Duration per route, the SLO error budgets and saturation of the redline service.')
    .tags(['redline', 'red', 'slo'])
    .timezone('browser')
    .editable()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .version(1)
    .withVariable(datasourceVariable())
    .withVariable(labelValuesVariable('namespace', 'Namespace', `label_values(${REQUEST_RATE}, namespace)`))
    .withVariable(labelValuesVariable('job', 'Job', `label_values(${REQUEST_RATE}{namespace="$namespace"}, job)`))
    .withVariable(labelValuesVariable('route', 'Route', `label_values(${REQUEST_RATE}{${SERVICE}}, route)`, { multi: true }));
  return withRows(builder, [
    { title: 'RED: rate, errors, duration', panels: red(options.nativeHistograms === true) },
    { title: 'SLO: error budget and burn rate', panels: slo },
    { title: 'Saturation', panels: saturation },
    // Last, so the ids the alerts' dashboard links open (the burn-rate panels) stay put.
    { title: 'Traces', panels: [exemplarPanel(options.nativeHistograms === true)] },
  ]).build();
}

/** The dashboard as committed: stable key order, two-space indent, trailing newline. */
export function renderDashboard(options: DashboardOptions = {}): string {
  return `${JSON.stringify(redlineDashboard(options), null, 2)}\n`;
}
