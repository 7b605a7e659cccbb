// What `make drill` injects, the times it expects from the rule windows and the stack's
// intervals, and which notifications are the drilled service's. Pure: scripts/drill.ts does the I/O.
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { PromRuleGroup } from '../lib/prometheus-api.ts';
import type { Notification } from '../lib/webhook-receiver.ts';
import { parseDuration } from '../../service/src/duration.ts';

/** The chart values the drill renders its rules with (short windows, same templates). */
export const DRILL_VALUES = fileURLToPath(new URL('./values.yaml', import.meta.url));

export type ScenarioName = 'errors' | 'latency';

export interface Scenario {
  name: ScenarioName;
  /** The SLO it must page, and the alert that pages. */
  slo: 'availability' | 'latency';
  alertname: string;
  /** The simulated route (admin API name) and the route template the descriptions name. */
  simulatedRoute: string;
  routeTemplate: string;
  /** The profile patch PUT to /admin/simulation/<route>. */
  patch: Record<string, number>;
  what: string;
}

/**
 * Bursts far above the page's 14.4x: every POST /api/orders fails (12% of the load generator's
 * mix: 8x the availability page threshold of 1.44%); GET /api/items (40% of the mix) answers in
 * about 1s, above the 0.5s threshold (2.8x the latency page threshold of 14.4%) without failing.
 */
export const SCENARIOS: Record<ScenarioName, Scenario> = {
  errors: {
    name: 'errors',
    slo: 'availability',
    alertname: 'RedlineAvailabilityErrorBudgetBurn',
    simulatedRoute: 'create_order',
    routeTemplate: '/api/orders',
    patch: { errorRate: 1 },
    what: 'every POST /api/orders answers 500',
  },
  latency: {
    name: 'latency',
    slo: 'latency',
    alertname: 'RedlineLatencyErrorBudgetBurn',
    simulatedRoute: 'list_items',
    routeTemplate: '/api/items',
    patch: { medianMs: 1000, p99Ms: 2500 },
    what: 'GET /api/items takes about 1s (median), up to 2.5s (p99)',
  },
};

export interface BurnTier {
  severity: string;
  longWindow: string;
  shortWindow: string;
  burnRate: number;
  for: string;
}

export interface DrillValues {
  rateWindowMs: number;
  page: BurnTier;
  ticket: BurnTier | undefined;
}

/** The drill's page (critical) and ticket (warning) tiers and SLI rate window, from its values file. */
export function drillValues(text: string): DrillValues {
  const values = parse(text) as { slo?: { rateWindow?: string; burnRates?: BurnTier[] } };
  const tiers = values.slo?.burnRates ?? [];
  const page = tiers.find((t) => t.severity === 'critical');
  if (!page || !values.slo?.rateWindow) throw new Error('drill values need slo.rateWindow and a critical slo.burnRates entry');
  return { rateWindowMs: parseDuration(values.slo.rateWindow), page, ticket: tiers.find((t) => t.severity === 'warning') };
}

export interface StackTimes {
  scrapeMs: number;
  evaluationMs: number;
  groupWaitMs: number;
  groupIntervalMs: number;
}

export type StepName = 'pending' | 'firing' | 'notified' | 'inactive' | 'resolved';

export interface Step {
  name: StepName;
  /** What the step is, for the timeline and the stall message. */
  label: string;
  /** The event the bound counts from. */
  after: 'injected' | 'pending' | 'firing' | 'healed' | 'inactive';
  /** Upper bound from the rule windows and intervals, in ms after `after`. */
  expectedMs: number;
  /** How the bound is made, e.g. "rate window 15s + long window 1m + 2 evaluations 5s". */
  reason: string;
}

const s = (ms: number) => `${ms / 1000}s`;

/**
 * The steps and their bounds. A burst far above the threshold shows in the SLI once the rate
 * window holds it, and crosses the long window's threshold before that window is full of it:
 * rate window + long window bounds "pending". Healed, the short window falls below the threshold
 * once the rate window and the short window hold no burst. Prometheus sends an alert when it
 * evaluates it; Alertmanager holds a new group for group_wait and a change for group_interval.
 */
export function drillSteps(values: DrillValues, times: StackTimes): Step[] {
  const { page } = values;
  const evaluation = times.evaluationMs;
  const forMs = parseDuration(page.for);
  return [
    {
      name: 'pending',
      label: 'pending in Prometheus',
      after: 'injected',
      expectedMs: values.rateWindowMs + parseDuration(page.longWindow) + times.scrapeMs + 2 * evaluation,
      reason: `rate window ${s(values.rateWindowMs)} + long window ${page.longWindow} + scrape ${s(times.scrapeMs)} + 2 evaluations of ${s(evaluation)}`,
    },
    {
      name: 'firing',
      label: 'firing in Prometheus',
      after: 'pending',
      expectedMs: forMs + evaluation,
      reason: `for ${page.for} + 1 evaluation of ${s(evaluation)}`,
    },
    {
      name: 'notified',
      label: 'page notification received',
      after: 'firing',
      expectedMs: times.groupWaitMs + evaluation,
      reason: `group_wait ${s(times.groupWaitMs)} + 1 evaluation of ${s(evaluation)}`,
    },
    {
      name: 'inactive',
      label: 'resolved in Prometheus',
      after: 'healed',
      expectedMs: values.rateWindowMs + parseDuration(page.shortWindow) + times.scrapeMs + 2 * evaluation,
      reason: `rate window ${s(values.rateWindowMs)} + short window ${page.shortWindow} + scrape ${s(times.scrapeMs)} + 2 evaluations of ${s(evaluation)}`,
    },
    {
      name: 'resolved',
      label: 'resolved notification received',
      after: 'inactive',
      expectedMs: times.groupIntervalMs + evaluation,
      reason: `group_interval ${s(times.groupIntervalMs)} + 1 evaluation of ${s(evaluation)}`,
    },
  ];
}

/**
 * The tiers and SLI rate window of the rules Prometheus has loaded for `job` (what a cluster
 * runs, or what the drill swapped in): the page is the critical SLO alert with the shortest long
 * window, the ticket the warning one with the shortest long window.
 */
export function loadedTiers(groups: PromRuleGroup[], job: string): DrillValues {
  const rules = groups.flatMap((g) => g.rules).filter((r) => r.query.includes(`job="${job}"`));
  const tiers = rules
    .filter((r) => r.type === 'alerting' && r.name.endsWith('ErrorBudgetBurn') && r.labels?.long_window && r.labels.short_window)
    .map((r) => ({
      severity: r.labels!.severity ?? '',
      longWindow: r.labels!.long_window!,
      shortWindow: r.labels!.short_window!,
      burnRate: Number(/> \(([\d.]+) \* \(1 -/.exec(r.query)?.[1] ?? Number.NaN),
      for: `${r.duration ?? 0}s`,
    }))
    .sort((a, b) => parseDuration(a.longWindow) - parseDuration(b.longWindow));
  const page = tiers.find((t) => t.severity === 'critical');
  const rateWindow = rules.map((r) => /^namespace_job:http_requests:rate(\w+)$/.exec(r.name)?.[1]).find(Boolean);
  if (!page || !rateWindow) {
    throw new Error(
      `Prometheus has no redline SLO alerts for job="${job}" (a critical *ErrorBudgetBurn alert and namespace_job:http_requests:rate<window>): are the chart's rules loaded?`,
    );
  }
  return { rateWindowMs: parseDuration(rateWindow), page, ticket: tiers.find((t) => t.severity === 'warning') };
}

/**
 * Whether a notification tells of a ticket of the drilled service, as `isTicket` recognises its
 * alerts. Alertmanager groups by alertname and slo across jobs, so the ticket receiver's
 * notification for the drilled SLO may carry only another job's ticket (the nominal twin's,
 * tipped by background errors on the drill's short windows): that one is not the drilled
 * service's ticket escaping the inhibition.
 */
export function carriesOwnTicket(notification: Notification, isTicket: (alert: { labels: Record<string, string> }) => boolean): boolean {
  const { receiver, payload } = notification;
  return receiver === 'ticket' && payload.status === 'firing' && payload.alerts.some((a) => a.status === 'firing' && isTicket(a));
}
