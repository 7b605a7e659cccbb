// Generates `promtool test rules` unit tests from the chart's values and rendered rules, so
// the tests follow the values: for every SLO and every burn-rate alert, a synthetic burn just
// above its rate fires exactly the alerts at or below that rate, and a service at the
// objective fires none.
import type { Rule, RuleGroup } from '../../../scripts/lib/rules.ts';
import { parseDuration } from '../../../service/src/duration.ts';
import type { BurnRate, ChartValues } from './values.ts';

export interface TestTarget {
  namespace: string;
  job: string;
  /** How the threshold's le label is spelled in the input series: Prometheus 2 keeps the
   * exposition's "1", Prometheus 3 normalises it to "1.0". */
  leSpelling?: 'exposition' | 'prometheus3';
  /** The latency histogram as the rules read it: classic buckets (default) or one native
   * histogram series (metrics.nativeHistograms), written in promtool's {{schema:…}} notation. */
  histograms?: 'classic' | 'native';
}

type SloName = 'availability' | 'latency';

/** Requests per minute in the synthetic series: large, so error counts are whole numbers. */
const PER_MINUTE = 100_000;
const STEP_MS = 60_000;
/** Burn rate of the "at the objective" case. */
const AT_OBJECTIVE = 0.999;

const minutes = (ms: number) => `${Math.ceil(ms / STEP_MS)}m`;

function alertRules(groups: RuleGroup[]): Rule[] {
  return groups.flatMap((group) => group.rules).filter((rule) => rule.alert !== undefined);
}

export function leLabel(thresholdSeconds: number, spelling: TestTarget['leSpelling'] = 'exposition'): string {
  const text = String(thresholdSeconds);
  return spelling === 'prometheus3' && !text.includes('.') ? `${text}.0` : text;
}

/**
 * Native histogram buckets (schema 0: bucket i holds (2^(i-1), 2^i]) that put `fast` requests
 * entirely at or below the threshold and `slow` ones entirely above it, so histogram_fraction
 * at the threshold is exact and the expected values need no interpolation error margin.
 */
export function nativeIncrement(thresholdSeconds: number, fast: number, slow: number): string {
  const fastBucket = Math.floor(Math.log2(thresholdSeconds));
  const slowBucket = Math.ceil(Math.log2(thresholdSeconds)) + 1;
  const counts = [fast, ...Array<number>(slowBucket - fastBucket - 1).fill(0), slow];
  const sum = fast * 2 ** fastBucket * 0.75 + slow * 2 ** slowBucket * 0.75;
  return `{{schema:0 sum:${sum} count:${fast + slow} offset:${fastBucket} buckets:[${counts.join(' ')}]}}`;
}

/**
 * The latency histogram of one (route, method, status) growing by `fast` requests within the
 * threshold and `slow` ones above it per step, for `steps` steps: either the classic _count and
 * two _bucket series (the threshold's le and +Inf), or one native histogram series.
 */
export function latencySeries(labels: string, fast: number, slow: number, steps: number, values: ChartValues, target: TestTarget) {
  const threshold = values.slo.latency.thresholdSeconds;
  if (target.histograms === 'native') {
    return [
      {
        series: `http_request_duration_seconds{${labels}}`,
        values: `${nativeIncrement(threshold, 0, 0)}+${nativeIncrement(threshold, fast, slow)}x${steps}`,
      },
    ];
  }
  const le = leLabel(threshold, target.leSpelling);
  const grow = (perStep: number) => `0+${perStep}x${steps}`;
  return [
    { series: `http_request_duration_seconds_count{${labels}}`, values: grow(fast + slow) },
    { series: `http_request_duration_seconds_bucket{${labels},le="${le}"}`, values: grow(fast) },
    { series: `http_request_duration_seconds_bucket{${labels},le="+Inf"}`, values: grow(fast + slow) },
  ];
}

function seriesFor(slo: SloName, errorsPerMinute: number, samples: number, values: ChartValues, target: TestTarget) {
  const base = `namespace="${target.namespace}",job="${target.job}",route="/api/items",method="GET"`;
  const grow = (perMinute: number) => `0+${perMinute}x${samples}`;
  if (slo === 'availability') {
    return [
      { series: `http_requests_total{${base},status_code="200"}`, values: grow(PER_MINUTE) },
      { series: `http_request_errors_total{${base},status_code="500",error_type="server_error"}`, values: grow(errorsPerMinute) },
    ];
  }
  return latencySeries(`${base},status_code="200"`, PER_MINUTE - errorsPerMinute, errorsPerMinute, samples, values, target);
}

/**
 * Go's %.<precision>g in its plain range, the way Prometheus' templates print numbers (printf,
 * humanizePercentage); a golden value written here, not taken from the templates.
 */
export function goG(value: number, precision: number): string {
  const exponent = Math.floor(Math.log10(Math.abs(value)));
  if (value !== 0 && (exponent < -4 || exponent >= precision)) throw new Error(`${value} would print in exponent form`);
  return String(Number(value.toPrecision(precision)));
}

/** Prometheus' humanizePercentage: the ratio times 100, %.4g, then "%". */
export const percent = (ratio: number) => `${goG(ratio * 100, 4)}%`;

/** What an SLO alert measures while it fires: the error ratio of its windows, and its route(s) at fault. */
export interface Measured {
  slo: SloName;
  errorRatio: number;
  /** The description's list of routes at fault, as the alert should print it. */
  routes: string;
}

/**
 * The annotations Prometheus expands: the summary with the measured ratio and burn rate, and the
 * description with the routes at fault. The description's fixed sentence after the routes is
 * the rule's own (rules.test.ts checks the template markers are gone).
 */
function expectedAnnotations(rule: Rule, values: ChartValues, target: TestTarget, measured: Measured): Record<string, string> {
  const annotations = { ...rule.annotations };
  const settings = values.slo[measured.slo];
  const burn = goG(measured.errorRatio / (1 - settings.objective), 3);
  const what =
    measured.slo === 'availability' ? 'of requests failing (5xx)' : `of requests slower than ${values.slo.latency.thresholdSeconds}s`;
  annotations.summary = `${target.job} in ${target.namespace}: ${percent(measured.errorRatio)} ${what} over the last ${rule.labels?.long_window}, burning the ${values.slo.period} error budget ${burn}x too fast`;
  const template = /\{\{ with query [\s\S]*?\{\{ else \}\}none\{\{ end \}\}/;
  if (!template.test(annotations.description ?? '')) throw new Error(`${rule.alert}: no routes-at-fault template in the description`);
  annotations.description = annotations.description!.replace(template, measured.routes);
  return annotations;
}

function expectedAlert(rule: Rule, target: TestTarget, values?: ChartValues, measured?: Measured) {
  return {
    exp_labels: { ...rule.labels, namespace: target.namespace, job: target.job },
    exp_annotations: values && measured ? expectedAnnotations(rule, values, target, measured) : (rule.annotations ?? {}),
  };
}

/** Rules of one SLO's alert, with the burn-rate entry each came from (matched by its windows). */
function sloAlerts(groups: RuleGroup[], slo: SloName, burnRates: BurnRate[]) {
  return alertRules(groups)
    .filter((rule) => rule.labels?.slo === slo)
    .map((rule) => {
      const entry = burnRates.find((b) => b.longWindow === rule.labels?.long_window && b.shortWindow === rule.labels?.short_window);
      if (!entry) throw new Error(`alert ${rule.alert} ${JSON.stringify(rule.labels)} matches no slo.burnRates entry`);
      return { rule, entry };
    });
}

/**
 * The synthetic series have one route, /api/items: it carries every error (its 5xx ratio is the
 * service's), and with its slow requests above the threshold its p99 is at or above it.
 */
function routesAtFault(slo: SloName, errorRatio: number): string {
  return slo === 'availability' ? `/api/items (${percent(errorRatio)})` : '/api/items';
}

/** A burn rate strictly between `rate` and the next higher configured rate. */
export function justAbove(rate: number, higher: number | undefined): number {
  const up = rate * 1.05;
  return higher === undefined ? up : Math.min(up, (rate + higher) / 2);
}

export function generateRuleTests(ruleFile: string, groups: RuleGroup[], values: ChartValues, target: TestTarget) {
  const burnRates = values.slo.burnRates;
  const longestFor = Math.max(...burnRates.map((b) => parseDuration(b.for)));
  // Alerts start pending at the first evaluation with two samples, then wait `for`.
  const evalMs = longestFor + 10 * STEP_MS;
  const samples = evalMs / STEP_MS + 1;
  const tests: unknown[] = [];

  for (const slo of ['availability', 'latency'] as const) {
    const settings = values.slo[slo];
    if (!settings.enabled || !values.alerts.enabled) continue;
    const alerts = sloAlerts(groups, slo, burnRates);
    const alertname = alerts[0]?.rule.alert;
    if (!alertname || alerts.length !== burnRates.length) {
      throw new Error(`expected ${burnRates.length} ${slo} burn-rate alerts, found ${alerts.length}`);
    }
    const budget = 1 - settings.objective;
    const rates = [...new Set(burnRates.map((b) => b.burnRate))].sort((a, b) => a - b);

    for (const [index, rate] of rates.entries()) {
      const burn = justAbove(rate, rates[index + 1]);
      const errorRatio = burn * budget;
      if (errorRatio >= 1) throw new Error(`burn rate ${burn} cannot be reached with objective ${settings.objective}`);
      tests.push({
        name: `${slo}: a ${burn.toFixed(2)}x burn fires every alert up to ${rate}x and none above`,
        interval: '1m',
        input_series: seriesFor(slo, errorRatio * PER_MINUTE, samples, values, target),
        alert_rule_test: [
          {
            eval_time: minutes(evalMs),
            alertname,
            exp_alerts: alerts
              .filter(({ entry }) => entry.burnRate <= rate)
              .map(({ rule }) => expectedAlert(rule, target, values, { slo, errorRatio, routes: routesAtFault(slo, errorRatio) })),
          },
        ],
      });
    }

    // At the objective: a burn of 0.999x. Exactly 1x is a float tie (the long windows sum many
    // recorded rates), so the test keeps a 0.1% margin, far below any alert's sensitivity.
    tests.push({
      name: `${slo}: at the objective (${settings.objective}, a 0.999x burn) no alert fires`,
      interval: '1m',
      input_series: seriesFor(slo, AT_OBJECTIVE * budget * PER_MINUTE, samples, values, target),
      alert_rule_test: [{ eval_time: minutes(evalMs), alertname, exp_alerts: [] }],
    });
  }

  if (values.slo.latency.enabled && values.alerts.enabled) tests.push(abortTest(groups, values, target, samples, evalMs));
  if (values.alerts.enabled && values.serviceMonitor.enabled) tests.push(...targetDownTests(groups, values, target));
  tests.push(...recordingTests(values, target));
  // Rules are evaluated every 5m (not Prometheus' usual 30s-1m): the same firing semantics for
  // windows of 5m and more, a fifth of the work for the 3h `for` of the slowest alert. Groups
  // run in their dependency order: promtool otherwise picks a random order, and since
  // Prometheus 3 (left-open lookback) an alert evaluated before the recording rules it reads
  // sees nothing, as the previous recorded sample lies exactly one 5m lookback back.
  return { rule_files: [ruleFile], evaluation_interval: '5m', group_eval_order: groups.map((group) => group.name), tests };
}

/**
 * Client aborts (status_code 499) are recorded with the time until the abort, often short, so
 * they land in the fast buckets; they must still burn the latency budget. All aborts here are
 * "fast" (inside the threshold bucket), at the share of the highest burn rate: every latency
 * alert fires.
 */
function abortTest(groups: RuleGroup[], values: ChartValues, target: TestTarget, samples: number, evalMs: number) {
  const alerts = sloAlerts(groups, 'latency', values.slo.burnRates);
  const highest = Math.max(...values.slo.burnRates.map((b) => b.burnRate));
  const aborted = Math.round(justAbove(highest, undefined) * (1 - values.slo.latency.objective) * PER_MINUTE);
  const base = `namespace="${target.namespace}",job="${target.job}",route="/api/items",method="GET"`;
  const series = (status: string, perMinute: number) =>
    latencySeries(`${base},status_code="${status}"`, perMinute, 0, samples, values, target);
  return {
    name: `latency: client aborts (499) inside ${values.slo.latency.thresholdSeconds}s are never good and burn the budget`,
    interval: '1m',
    input_series: [...series('200', PER_MINUTE - aborted), ...series('499', aborted)],
    alert_rule_test: [
      {
        eval_time: minutes(evalMs),
        alertname: alerts[0]!.rule.alert,
        // Every request is inside the threshold, so no route's p99 reaches it: none at fault by latency.
        exp_alerts: alerts.map(({ rule }) =>
          expectedAlert(rule, target, values, { slo: 'latency', errorRatio: aborted / PER_MINUTE, routes: 'none' }),
        ),
      },
    ],
    promql_expr_test: [
      {
        expr: `namespace_job:slo_errors:ratio_rate5m{namespace="${target.namespace}",job="${target.job}",slo="latency"}`,
        eval_time: minutes(evalMs),
        exp_samples: [
          {
            labels: `namespace_job:slo_errors:ratio_rate5m{namespace="${target.namespace}",job="${target.job}",slo="latency"}`,
            value: aborted / PER_MINUTE,
          },
        ],
      },
    ],
  };
}

function targetDownTests(groups: RuleGroup[], values: ChartValues, target: TestTarget) {
  const rule = alertRules(groups).find((r) => r.alert === 'RedlineTargetDown');
  if (!rule) throw new Error('RedlineTargetDown is missing');
  const evalTime = minutes(parseDuration(values.alerts.targetDownFor) + 5 * STEP_MS);
  const up = `up{namespace="${target.namespace}",job="${target.job}",instance="10.0.0.1:8080"}`;
  const expected = [expectedAlert(rule, target)];
  return [
    {
      name: 'RedlineTargetDown fires when every target is down',
      interval: '1m',
      input_series: [{ series: up, values: '0x30' }],
      alert_rule_test: [{ eval_time: evalTime, alertname: 'RedlineTargetDown', exp_alerts: expected }],
    },
    {
      name: 'RedlineTargetDown fires when the target never appears',
      interval: '1m',
      input_series: [{ series: `up{namespace="${target.namespace}",job="someone-else",instance="10.0.0.2:8080"}`, values: '1x30' }],
      alert_rule_test: [{ eval_time: evalTime, alertname: 'RedlineTargetDown', exp_alerts: expected }],
    },
    {
      name: 'RedlineTargetDown is silent while one target is up',
      interval: '1m',
      input_series: [
        { series: up, values: '1x30' },
        { series: up.replace('10.0.0.1', '10.0.0.3'), values: '0x30' },
      ],
      alert_rule_test: [{ eval_time: evalTime, alertname: 'RedlineTargetDown', exp_alerts: [] }],
    },
  ];
}

/** Recording rules whose exact values matter to the dashboard and the alerts. */
function recordingTests(values: ChartValues, target: TestTarget) {
  const sel = `namespace="${target.namespace}",job="${target.job}"`;
  const base = `${sel},route="/api/items",method="GET",status_code="200"`;
  const threshold = values.slo.latency.thresholdSeconds;
  return [
    {
      name: 'error ratio is 0, not missing, for a route that never failed',
      interval: '1m',
      input_series: [{ series: `http_requests_total{${base}}`, values: '0+60x20' }],
      promql_expr_test: [
        {
          expr: `namespace_job_route:http_request_errors:ratio_rate5m{${sel}}`,
          eval_time: '10m',
          exp_samples: [{ labels: `namespace_job_route:http_request_errors:ratio_rate5m{${sel},route="/api/items"}`, value: 0 }],
        },
        {
          expr: `namespace_job:slo_errors:ratio_rate5m{${sel},slo="availability"}`,
          eval_time: '10m',
          exp_samples: [{ labels: `namespace_job:slo_errors:ratio_rate5m{${sel},slo="availability"}`, value: 0 }],
        },
      ],
    },
    {
      name: 'request rate per route and status code sums the methods: 200 from GET and POST at 60/min each is 2/s, 500 at 30/min is 0.5/s',
      interval: '1m',
      input_series: [
        { series: `http_requests_total{${base}}`, values: '0+60x20' },
        { series: `http_requests_total{${base.replace('status_code="200"', 'status_code="500"')}}`, values: '0+30x20' },
        { series: `http_requests_total{${base.replace('method="GET"', 'method="POST"')}}`, values: '0+60x20' },
      ],
      promql_expr_test: [
        {
          expr: `namespace_job_route_status_code:http_requests:rate5m{${sel}}`,
          eval_time: '10m',
          exp_samples: [
            { labels: `namespace_job_route_status_code:http_requests:rate5m{${sel},route="/api/items",status_code="200"}`, value: 2 },
            { labels: `namespace_job_route_status_code:http_requests:rate5m{${sel},route="/api/items",status_code="500"}`, value: 0.5 },
          ],
        },
      ],
    },
    {
      name: 'long windows sum the recorded 5m rates: 1h ratio of a steady 50% error rate is 0.5',
      interval: '1m',
      input_series: [
        { series: `http_requests_total{${base}}`, values: '0+64x80' },
        { series: `http_request_errors_total{${base},error_type="exception"}`, values: '0+32x80' },
      ],
      promql_expr_test: [
        {
          expr: `namespace_job:slo_errors:ratio_rate1h{${sel},slo="availability"}`,
          eval_time: '70m',
          exp_samples: [{ labels: `namespace_job:slo_errors:ratio_rate1h{${sel},slo="availability"}`, value: 0.5 }],
        },
      ],
    },
    {
      name: 'latency SLI is 1, not missing, while every request so far was a client abort (499)',
      interval: '1m',
      input_series: latencySeries(`${sel},route="/api/items",method="GET",status_code="499"`, 60, 0, 20, values, target),
      promql_expr_test: [
        {
          expr: `namespace_job:slo_errors:ratio_rate5m{${sel},slo="latency"}`,
          eval_time: '10m',
          exp_samples: [{ labels: `namespace_job:slo_errors:ratio_rate5m{${sel},slo="latency"}`, value: 1 }],
        },
      ],
    },
    {
      name: `latency SLI counts requests above ${threshold}s and the budget follows the objective`,
      interval: '1m',
      input_series: latencySeries(base, 32, 32, 20, values, target),
      promql_expr_test: [
        {
          expr: `namespace_job:slo_errors:ratio_rate5m{${sel},slo="latency"}`,
          eval_time: '10m',
          exp_samples: [{ labels: `namespace_job:slo_errors:ratio_rate5m{${sel},slo="latency"}`, value: 0.5 }],
        },
        {
          expr: `namespace_job:slo_objective:ratio{${sel},slo="latency"}`,
          eval_time: '10m',
          exp_samples: [{ labels: `namespace_job:slo_objective:ratio{${sel},slo="latency"}`, value: values.slo.latency.objective }],
        },
        {
          expr: `namespace_job:slo_error_budget_remaining:ratio{${sel},slo="latency"}`,
          eval_time: '10m',
          exp_samples: [
            {
              labels: `namespace_job:slo_error_budget_remaining:ratio{${sel},slo="latency"}`,
              value: 1 - 0.5 / (1 - values.slo.latency.objective),
            },
          ],
        },
      ],
    },
  ];
}
