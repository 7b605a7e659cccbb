// The simulation's defaults must describe a healthy service: with the load generator's mix,
// the chart's SLOs hold with room to spare, so a cluster left running fires no alert.
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parse } from 'yaml';
import { MIX_SHARES } from '../../service/src/loadgen/mix.ts';
import { DEFAULT_PROFILES, type SimulatedRoute } from '../../service/src/simulation/profiles.ts';
import { Simulator } from '../../service/src/simulation/simulator.ts';

const TEMPLATES: Record<SimulatedRoute, string> = {
  list_items: '/api/items',
  get_item: '/api/items/:id',
  create_order: '/api/orders',
  get_order: '/api/orders/:id',
  checkout: '/api/checkout',
};

describe('nominal traffic against the chart SLOs', () => {
  const values = parse(readFileSync(new URL('../../charts/redline/values.yaml', import.meta.url), 'utf8')) as {
    slo: { availability: { objective: number }; latency: { objective: number; thresholdSeconds: number } };
  };
  const simulator = new Simulator(DEFAULT_PROFILES, 2024);
  const draws = 100_000;
  let errorShare = 0;
  let slowShare = 0;
  before(() => {
    for (const [route, template] of Object.entries(TEMPLATES) as [SimulatedRoute, string][]) {
      const share = MIX_SHARES[template];
      expect(share, template).to.be.a('number');
      let failed = 0;
      let slow = 0;
      for (let i = 0; i < draws; i += 1) {
        const outcome = simulator.draw(route);
        if (outcome.fail) failed += 1;
        if (outcome.latencyMs > values.slo.latency.thresholdSeconds * 1000) slow += 1;
      }
      errorShare += share! * (failed / draws);
      slowShare += share! * (slow / draws);
    }
  });

  it('the mix covers every simulated route', () => {
    expect(Object.keys(MIX_SHARES)).to.have.members(Object.values(TEMPLATES));
    expect(Object.values(MIX_SHARES).reduce((a, b) => a + b, 0)).to.be.closeTo(1, 1e-9);
  });

  it('fails at most 70% of the availability budget (burn rate < 0.7)', () => {
    expect(errorShare / (1 - values.slo.availability.objective)).to.be.below(0.7);
  });

  it('is slow at most 70% of the latency budget (burn rate < 0.7)', () => {
    expect(slowShare / (1 - values.slo.latency.objective)).to.be.below(0.7);
  });
});
