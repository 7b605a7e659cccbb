import { expect } from 'chai';
import { ZodError } from 'zod';
import { DEFAULT_PROFILES } from '../../src/simulation/profiles.ts';
import { Simulator } from '../../src/simulation/simulator.ts';

describe('simulation/simulator', () => {
  it('fails at the configured error rate (binomial bound, fixed seed)', () => {
    const simulator = new Simulator({ ...DEFAULT_PROFILES, checkout: { medianMs: 1, p99Ms: 2, errorRate: 0.05 } }, 11);
    const n = 40_000;
    let failures = 0;
    for (let i = 0; i < n; i += 1) if (simulator.draw('checkout').fail) failures += 1;
    const sd = Math.sqrt(n * 0.05 * 0.95);
    expect(failures).to.be.within(n * 0.05 - 4 * sd, n * 0.05 + 4 * sd);
  });

  it('never fails at rate 0 and always at rate 1', () => {
    const simulator = new Simulator(DEFAULT_PROFILES, 3);
    simulator.set('get_item', { medianMs: 1, p99Ms: 1, errorRate: 0 });
    simulator.set('get_order', { medianMs: 1, p99Ms: 1, errorRate: 1 });
    for (let i = 0; i < 1000; i += 1) {
      expect(simulator.draw('get_item').fail).to.equal(false);
      expect(simulator.draw('get_order').fail).to.equal(true);
    }
  });

  it('changes a profile at run time within bounds, and resets', () => {
    const simulator = new Simulator(DEFAULT_PROFILES, 3);
    simulator.set('checkout', { medianMs: 500, p99Ms: 2000, errorRate: 0.5 });
    expect(simulator.profile('checkout')).to.deep.equal({ medianMs: 500, p99Ms: 2000, errorRate: 0.5 });
    expect(() => simulator.set('checkout', { medianMs: 10, p99Ms: 5, errorRate: 0 })).to.throw(ZodError);
    expect(() => simulator.set('checkout', { medianMs: 10, p99Ms: 50_000, errorRate: 0 })).to.throw(ZodError);
    expect(() => simulator.set('checkout', { medianMs: 10, p99Ms: 20, errorRate: 2 })).to.throw(ZodError);
    simulator.reset();
    expect(simulator.profile('checkout')).to.deep.equal(DEFAULT_PROFILES.checkout);
  });

  it('waits the drawn latency', async () => {
    const simulator = new Simulator({ ...DEFAULT_PROFILES, list_items: { medianMs: 60, p99Ms: 60, errorRate: 0 } }, 1);
    const started = performance.now();
    expect(await simulator.run('list_items')).to.equal(false);
    expect(performance.now() - started).to.be.within(55, 500);
  });
});
