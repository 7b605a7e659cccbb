// The drill's expected times: each bound from the rule windows and the stack's intervals, worked
// out here by hand for the drill's own values file.
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { parseDuration } from '../../../service/src/duration.ts';
import { carriesOwnTicket, DRILL_VALUES, drillSteps, drillValues, loadedTiers, SCENARIOS } from '../../drill/plan.ts';
import type { PromRuleGroup } from '../../lib/prometheus-api.ts';
import { renderRuleGroups } from '../../lib/rules.ts';
import type { Notification, WebhookPayload } from '../../lib/webhook-receiver.ts';

/** The chart's rules as Prometheus' rules API reports them once loaded (name, query, for in seconds). */
async function loaded(valuesFiles: string[]): Promise<PromRuleGroup[]> {
  const groups = await renderRuleGroups({ valuesFiles });
  return groups.map((g) => ({
    name: g.name,
    file: 'rules.yaml',
    interval: 5,
    rules: g.rules.map((r) => ({
      type: r.alert ? ('alerting' as const) : ('recording' as const),
      name: (r.alert ?? r.record)!,
      query: r.expr,
      health: 'ok',
      ...(r.labels ? { labels: r.labels } : {}),
      ...(r.alert ? { duration: parseDuration(r.for ?? '0s') / 1000 } : {}),
    })),
  }));
}

describe('drill plan', function () {
  it('reads the page and ticket tiers and the SLI rate window from scripts/drill/values.yaml', async function () {
    const values = drillValues(await readFile(DRILL_VALUES, 'utf8'));
    expect(values.rateWindowMs).to.equal(15_000);
    expect(values.page).to.deep.equal({ severity: 'critical', longWindow: '1m', shortWindow: '15s', burnRate: 14.4, for: '10s' });
    expect(values.ticket?.severity).to.equal('warning');
  });

  it("bounds each step: make local's 5s scrape and evaluation, 5s group_wait, 10s group_interval", async function () {
    const values = drillValues(await readFile(DRILL_VALUES, 'utf8'));
    const steps = drillSteps(values, { scrapeMs: 5_000, evaluationMs: 5_000, groupWaitMs: 5_000, groupIntervalMs: 10_000 });
    const bounds = Object.fromEntries(steps.map((s) => [s.name, [s.after, s.expectedMs]]));
    expect(bounds).to.deep.equal({
      pending: ['injected', 15_000 + 60_000 + 5_000 + 10_000],
      firing: ['pending', 10_000 + 5_000],
      notified: ['firing', 5_000 + 5_000],
      inactive: ['healed', 15_000 + 15_000 + 5_000 + 10_000],
      resolved: ['inactive', 10_000 + 5_000],
    });
    expect(steps[0]!.reason).to.equal('rate window 15s + long window 1m + scrape 5s + 2 evaluations of 5s');
  });

  it('refuses values without a rate window or a critical tier', function () {
    expect(() => drillValues('slo: {burnRates: [{severity: warning, longWindow: 1m, shortWindow: 15s, burnRate: 3, for: 1m}]}')).to.throw(
      /slo.rateWindow and a critical slo.burnRates entry/,
    );
  });

  it('bursts well above the page threshold on one route each: errors on /api/orders, latency on /api/items', function () {
    expect(SCENARIOS.errors).to.include({ slo: 'availability', simulatedRoute: 'create_order', routeTemplate: '/api/orders' });
    expect(SCENARIOS.errors.patch).to.deep.equal({ errorRate: 1 });
    expect(SCENARIOS.latency).to.include({ slo: 'latency', simulatedRoute: 'list_items', routeTemplate: '/api/items' });
    expect(SCENARIOS.latency.patch.medianMs).to.be.greaterThan(500);
  });

  it('reads the page and ticket tiers from the rules Prometheus loaded: the drill values, or the chart defaults in a cluster', async function () {
    this.timeout(30_000);
    const drill = loadedTiers(await loaded([DRILL_VALUES]), 'redline');
    expect(drill).to.deep.equal({
      rateWindowMs: 15_000,
      page: { severity: 'critical', longWindow: '1m', shortWindow: '15s', burnRate: 14.4, for: '10s' },
      ticket: { severity: 'warning', longWindow: '2m', shortWindow: '1m', burnRate: 3, for: '10s' },
    });
    const defaults = loadedTiers(await loaded([]), 'redline');
    expect(defaults).to.deep.equal({
      rateWindowMs: 300_000,
      page: { severity: 'critical', longWindow: '1h', shortWindow: '5m', burnRate: 14.4, for: '120s' },
      ticket: { severity: 'warning', longWindow: '1d', shortWindow: '2h', burnRate: 3, for: '3600s' },
    });
    const groups = await loaded([]);
    expect(() => loadedTiers(groups, 'shop')).to.throw(/no redline SLO alerts for job="shop"/);
  });

  it("counts a ticket notification as the drilled service's only when it carries that service's ticket", function () {
    const alertname = 'RedlineAvailabilityErrorBudgetBurn';
    const isTicket = (a: { labels: Record<string, string> }) =>
      a.labels.alertname === alertname && a.labels.severity === 'warning' && a.labels.job === 'redline' && a.labels.namespace === 'local';
    const alert = (job: string, status: 'firing' | 'resolved' = 'firing'): WebhookPayload['alerts'][number] => ({
      status,
      labels: { alertname, job, namespace: 'local', severity: 'warning', slo: 'availability', long_window: '2m', short_window: '1m' },
      annotations: {},
      startsAt: '2026-12-06T21:30:22.634Z',
      endsAt: '0001-01-01T00:00:00Z',
      fingerprint: job,
    });
    // Alertmanager's group for the ticket receiver is keyed by alertname and slo, across jobs.
    const notification = (receiver: string, alerts: WebhookPayload['alerts'], status: 'firing' | 'resolved' = 'firing'): Notification => ({
      receiver,
      receivedAt: '2026-12-06T21:30:31.000Z',
      payload: {
        version: '4',
        groupKey: `{}/{severity="warning"}:{alertname="${alertname}", slo="availability"}`,
        status,
        receiver,
        groupLabels: { alertname, slo: 'availability' },
        commonLabels: {},
        commonAnnotations: {},
        externalURL: 'http://am',
        alerts,
      },
    });
    // The CI failure this guards against: the nominal twin's ticket alone, in the same group.
    expect(carriesOwnTicket(notification('ticket', [alert('nominal-redline')]), isTicket)).to.equal(false);
    expect(carriesOwnTicket(notification('ticket', [alert('nominal-redline'), alert('redline')]), isTicket)).to.equal(true);
    expect(carriesOwnTicket(notification('ticket', [alert('redline')]), isTicket)).to.equal(true);
    expect(carriesOwnTicket(notification('ticket', [alert('redline', 'resolved')], 'resolved'), isTicket)).to.equal(false);
    expect(carriesOwnTicket(notification('ticket', [alert('redline', 'resolved'), alert('nominal-redline')]), isTicket)).to.equal(false);
    expect(carriesOwnTicket(notification('page', [alert('redline')]), isTicket)).to.equal(false);
  });
});
