// The drill's expected times: each bound from the rule windows and the stack's intervals, worked
// out here by hand for the drill's own values file.
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { DRILL_VALUES, drillSteps, drillValues, SCENARIOS } from '../../drill/plan.ts';

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
});
