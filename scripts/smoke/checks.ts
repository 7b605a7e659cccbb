// One pass of the smoke checks against the Prometheus HTTP API. Each check says what it saw,
// so a failing run prints the reason rather than a bare "false".
import type { PrometheusClient, PromRuleGroup, Target } from '../lib/prometheus-api.ts';
import { parseDuration } from '../../service/src/duration.ts';
import type { SmokeOptions } from './options.ts';
import { redByRoute, redRecords, type RouteRed } from '../lib/red-summary.ts';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface Pass {
  checks: Check[];
  red: RouteRed[];
  ok: boolean;
}

export type CheckOptions = Pick<SmokeOptions, 'namespace' | 'job' | 'scrapePool' | 'intervalSeconds' | 'window'>;

/** Names of the checks, in report order; a failing pass reports the first failure as its reason. */
export const checkNames = {
  ready: 'prometheus ready',
  pool: 'scrape pool',
  up: 'targets up',
  fresh: 'scrapes recent',
  interval: 'scrape interval',
  metrics: 'metrics present',
  red: 'RED queries',
  groups: 'rule groups',
  recording: 'recording rules',
  native: 'native histograms',
  alertRules: 'alert rules loaded',
  alerts: 'no alert firing',
} as const;

export const ruleGroupPrefix = 'redline.';
export const alertPrefix = 'Redline';

function check(name: string, ok: boolean, detail: string): Check {
  return { name, ok, detail };
}

function targetName(t: Target): string {
  return t.labels.instance ?? t.scrapeUrl;
}

function poolChecks(targets: Target[], options: CheckOptions, now: number): Check[] {
  const inPool = targets.filter((t) => t.scrapePool === options.scrapePool);
  if (inPool.length === 0) {
    const pools = [...new Set(targets.map((t) => t.scrapePool))].sort();
    return [
      check(
        checkNames.pool,
        false,
        `scrape pool ${options.scrapePool} not found; Prometheus has ${pools.length ? pools.join(', ') : 'no active targets'}`,
      ),
    ];
  }
  const down = inPool.filter((t) => t.health !== 'up');
  const intervalMs = options.intervalSeconds * 1_000;
  // Two intervals plus slack: one scrape may be in flight, and clocks are read at different moments.
  const maxAgeMs = 2 * intervalMs + 5_000;
  const ages = inPool.map((t) => now - Date.parse(t.lastScrape));
  const stale = inPool.filter((_, i) => !(ages[i]! <= maxAgeMs));
  const intervals = [...new Set(inPool.map((t) => t.scrapeInterval ?? 'unknown'))];
  const intervalOk = intervals.every((i) => i !== 'unknown' && parseDuration(i) === intervalMs);
  return [
    check(checkNames.pool, true, `${options.scrapePool}: ${inPool.length} target(s)`),
    check(
      checkNames.up,
      down.length === 0,
      down.length === 0
        ? `${inPool.length}/${inPool.length} up`
        : down.map((t) => `target ${targetName(t)} is ${t.health}${t.lastError ? `: ${t.lastError}` : ''}`).join('; '),
    ),
    check(
      checkNames.fresh,
      stale.length === 0,
      stale.length === 0
        ? `last scrape at most ${(Math.max(...ages) / 1_000).toFixed(1)}s ago`
        : stale.map((t) => `target ${targetName(t)} last scraped ${t.lastScrape.startsWith('0001') ? 'never' : t.lastScrape}`).join('; '),
    ),
    check(
      checkNames.interval,
      intervalOk,
      intervalOk ? `every ${intervals[0]}` : `scrape interval is ${intervals.join(', ')}, expected ${options.intervalSeconds}s`,
    ),
  ];
}

/**
 * The Redline* alerting rules are loaded and evaluate: a chart rendered with alerts.enabled false
 * (or a PrometheusRule not selected) would leave "no alert firing" true for nothing.
 */
function alertRulesCheck(groups: PromRuleGroup[]): Check {
  const rules = groups
    .filter((g) => g.name.startsWith(ruleGroupPrefix))
    .flatMap((g) => g.rules)
    .filter((r) => r.type === 'alerting' && r.name.startsWith(alertPrefix));
  if (rules.length === 0) return check(checkNames.alertRules, false, `no ${alertPrefix}* alerting rule in the ${ruleGroupPrefix}* groups`);
  const names = [...new Set(rules.map((r) => r.name))].sort();
  const states = ['inactive', 'pending', 'firing'].map(
    (state) => `${rules.filter((r) => (r.state ?? 'inactive') === state).length} ${state}`,
  );
  return check(checkNames.alertRules, true, `${rules.length} rule(s): ${names.join(', ')} (${states.join(', ')})`);
}

function groupChecks(groups: PromRuleGroup[]): Check[] {
  const ours = groups.filter((g) => g.name.startsWith(ruleGroupPrefix));
  if (ours.length === 0) {
    return [check(checkNames.groups, false, `no rule group named ${ruleGroupPrefix}* is loaded (${groups.length} other group(s))`)];
  }
  const broken = ours.flatMap((g) =>
    g.rules.filter((r) => r.health === 'err').map((r) => `${g.name}/${r.name}: ${r.lastError ?? 'error'}`),
  );
  const count = ours.reduce((n, g) => n + g.rules.length, 0);
  return [
    check(
      checkNames.groups,
      broken.length === 0,
      broken.length === 0 ? `${ours.map((g) => g.name).join(', ')} (${count} rules)` : `rules failing to evaluate: ${broken.join('; ')}`,
    ),
  ];
}

async function recordingCheck(client: PrometheusClient, groups: PromRuleGroup[]): Promise<Check> {
  const records = [
    ...new Set(
      groups
        .filter((g) => g.name.startsWith(ruleGroupPrefix))
        .flatMap((g) => g.rules.filter((r) => r.type === 'recording').map((r) => r.name)),
    ),
  ];
  if (records.length === 0) return check(checkNames.recording, false, `no recording rule in the ${ruleGroupPrefix}* groups`);
  const counts = await Promise.all(records.map(async (name) => (await client.query(`count({__name__="${name}"})`))[0]?.value ?? 0));
  const empty = records.filter((_, i) => counts[i] === 0);
  return check(
    checkNames.recording,
    empty.length === 0,
    empty.length === 0 ? `${records.length} recording rule(s) return data` : `no data yet for ${empty.join(', ')}`,
  );
}

/**
 * The per-route RED table, read from the recorded series of the loaded redline.red rules (the
 * numbers the dashboard shows). Without the recording rule of the window there is nothing to
 * read: said as such, not as "no traffic".
 */
async function redCheck(
  client: PrometheusClient,
  groups: PromRuleGroup[],
  selector: string,
  window: string,
): Promise<{ check: Check; red: RouteRed[] }> {
  const record = redRecords(window).rate;
  const recorded = groups.some(
    (g) => g.name.startsWith(ruleGroupPrefix) && g.rules.some((r) => r.type === 'recording' && r.name === record),
  );
  if (!recorded) {
    const why = `the recording rule ${record} is not loaded: the RED table reads it (are the chart's rules loaded? the chart records 1m, 5m and prometheusRule.redWindows; --window ${window})`;
    return { check: check(checkNames.red, false, why), red: [] };
  }
  const red = await redByRoute(client, selector, window);
  const total = red.reduce((sum, row) => sum + row.rate, 0);
  const detail =
    total > 0
      ? `${red.length} route(s), ${total.toFixed(2)} req/s in total`
      : `no traffic: request rate over ${window} is 0 on every route (is the load generator running?)`;
  return { check: check(checkNames.red, total > 0, detail), red };
}

/**
 * When the loaded redline.* rules read the latency histogram natively (the chart's
 * metrics.nativeHistograms), its native series must be there and counting requests.
 */
async function nativeCheck(client: PrometheusClient, groups: PromRuleGroup[], selector: string): Promise<Check | undefined> {
  const native = /\brate\(http_request_duration_seconds\{/;
  if (!groups.some((g) => g.name.startsWith(ruleGroupPrefix) && g.rules.some((r) => native.test(r.query)))) return undefined;
  // Raw on purpose: this proves the native series themselves are scraped, which the rules need.
  const count = (await client.query(`sum(histogram_count(http_request_duration_seconds{${selector}}))`))[0]?.value ?? 0;
  return check(
    checkNames.native,
    count > 0,
    count > 0
      ? `http_request_duration_seconds is native (${count} requests counted)`
      : `the rules read http_request_duration_seconds as a native histogram, but Prometheus has none with {${selector}}: is it scraped over protobuf with native histograms on (ServiceMonitor scrapeNativeHistograms, Prometheus >= 3.8, METRICS_NATIVE_HISTOGRAMS)?`,
  );
}

export async function runPass(client: PrometheusClient, options: CheckOptions, now: () => number = Date.now): Promise<Pass> {
  const checks: Check[] = [];
  let red: RouteRed[] = [];
  const finish = (): Pass => ({ checks, red, ok: checks.every((c) => c.ok) });

  if (!(await client.ready())) {
    checks.push(check(checkNames.ready, false, `Prometheus at ${client.url} is not ready or not reachable`));
    return finish();
  }
  checks.push(check(checkNames.ready, true, client.url));

  const selector = `namespace="${options.namespace}",job="${options.job}"`;
  const [targets, groups, alerts] = await Promise.all([client.targets(), client.ruleGroups(), client.alerts()]);
  checks.push(...poolChecks(targets, options, now()));

  // Raw on purpose: this proves the service's own series reach Prometheus, before any rule.
  const series = (await client.query(`count(http_requests_total{${selector}})`))[0]?.value ?? 0;
  checks.push(
    check(
      checkNames.metrics,
      series > 0,
      series > 0
        ? `${series} http_requests_total series with {${selector}}`
        : `metrics absent: no http_requests_total series with {${selector}}; is the target a redline /metrics endpoint?`,
    ),
  );

  if (series > 0) {
    const result = await redCheck(client, groups, selector, options.window);
    checks.push(result.check);
    red = result.red;
  }

  checks.push(...groupChecks(groups));
  if (checks.at(-1)?.ok) checks.push(await recordingCheck(client, groups), alertRulesCheck(groups));
  const native = series > 0 ? await nativeCheck(client, groups, selector) : undefined;
  if (native) checks.push(native);

  const firing = alerts.filter(
    (a) =>
      a.state === 'firing' &&
      (a.labels.alertname ?? '').startsWith(alertPrefix) &&
      (a.labels.namespace === undefined || a.labels.namespace === options.namespace),
  );
  const pending = alerts.filter((a) => a.state === 'pending' && (a.labels.alertname ?? '').startsWith(alertPrefix));
  checks.push(
    check(
      checkNames.alerts,
      firing.length === 0,
      firing.length === 0
        ? `no ${alertPrefix}* alert firing${pending.length ? ` (${pending.length} pending)` : ''}`
        : `firing: ${firing.map((a) => `${a.labels.alertname}${a.labels.route ? `{route="${a.labels.route}"}` : ''}`).join(', ')}`,
    ),
  );

  return finish();
}
