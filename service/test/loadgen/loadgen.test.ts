import { expect } from 'chai';
import { nextRequest, OrderMemory } from '../../src/loadgen/mix.ts';
import { loadOptions } from '../../src/loadgen/options.ts';
import { runLoad } from '../../src/loadgen/runner.ts';
import { seededUniform } from '../../src/simulation/random.ts';
import { serveApp } from '../app-fixture.ts';

describe('loadgen', () => {
  it('takes flags over the environment and bounds every value', () => {
    const options = loadOptions(['--rate', '5', '--duration', '10s'], { LOADGEN_TARGET: 'http://svc:8080/', LOADGEN_RATE: '50' });
    expect(options).to.include({ target: 'http://svc:8080', rate: 5, durationMs: 10_000 });
    expect(() => loadOptions(['--rate', '0'], {})).to.throw(/rate/);
    expect(() => loadOptions(['--duration', '48h'], {})).to.throw(/durationMs/);
    expect(() => loadOptions(['--duration', 'soon'], {})).to.throw(/not a duration/);
    expect(() => loadOptions(['--target', 'ftp://x'], {})).to.throw(/target/);
    expect(() => loadOptions(['--bogus'], {})).to.throw(/bogus/);
  });

  it('draws the documented mix (fixed seed)', () => {
    const uniform = seededUniform(42);
    const orders = new OrderMemory();
    orders.remember('ord_0123456789abcdef');
    const counts: Record<string, number> = {};
    const n = 20_000;
    for (let i = 0; i < n; i += 1) {
      const planned = nextRequest(uniform, orders);
      counts[planned.route] = (counts[planned.route] ?? 0) + 1;
      expect(planned.path.startsWith(planned.route.replace(/:id$/, ''))).to.equal(true);
    }
    const share = (route: string) => (counts[route] ?? 0) / n;
    expect(share('/api/items')).to.be.closeTo(0.4, 0.02);
    expect(share('/api/items/:id')).to.be.closeTo(0.35, 0.02);
    expect(share('/api/orders')).to.be.closeTo(0.12, 0.015);
    expect(share('/api/orders/:id')).to.be.closeTo(0.08, 0.015);
    expect(share('/api/checkout')).to.be.closeTo(0.05, 0.01);
  });

  it('sends at the given rate for the given time, then stops by itself', async function () {
    this.timeout(10_000);
    const app = await serveApp();
    try {
      const report = await runLoad(
        { target: app.server.url, rate: 100, durationMs: 1_000, maxInFlight: 50, timeoutMs: 2_000, seed: 1, json: true },
        new AbortController().signal,
      );
      expect(report.sent).to.equal(100);
      expect(report.failed).to.equal(0);
      expect(report.durationMs).to.be.within(950, 3_000);
      expect(Object.keys(report.byStatus)).to.include.members(['200', '201']);
      expect(report.byRoute['/api/checkout']).to.be.above(0);
    } finally {
      await app.server.close();
    }
  });

  it('sends sampled traceparent headers, which the service keeps as exemplars', async function () {
    this.timeout(10_000);
    const app = await serveApp();
    try {
      const sent = new Set<string>();
      await runLoad(
        { target: app.server.url, rate: 100, durationMs: 500, maxInFlight: 50, timeoutMs: 2_000, seed: 2, json: true },
        new AbortController().signal,
        undefined,
        ({ traceId }) => sent.add(traceId),
      );
      expect(sent.size).to.equal(50);
      for (const traceId of sent) expect(traceId).to.match(/^[0-9a-f]{32}$/);
      const response = await fetch(`${app.server.url}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
      const exemplars = [...(await response.text()).matchAll(/ # \{trace_id="([0-9a-f]{32})",span_id="[0-9a-f]{16}"\} /g)].map(
        (m) => m[1]!,
      );
      expect(exemplars.length).to.be.above(5);
      for (const traceId of exemplars) expect(sent.has(traceId), traceId).to.equal(true);
    } finally {
      await app.server.close();
    }
  });

  it('reports progress during long runs', async () => {
    const app = await serveApp();
    try {
      const seen: number[] = [];
      await runLoad(
        { target: app.server.url, rate: 50, durationMs: 450, maxInFlight: 10, timeoutMs: 1_000, json: true },
        new AbortController().signal,
        { everyMs: 100, report: (current) => seen.push(current.sent) },
      );
      expect(seen.length).to.be.at.least(3);
      expect(seen.at(-1)).to.be.above(seen[0]!);
    } finally {
      await app.server.close();
    }
  });

  it('stops early when aborted', async () => {
    const app = await serveApp();
    try {
      const stop = new AbortController();
      setTimeout(() => stop.abort(), 200);
      const report = await runLoad(
        { target: app.server.url, rate: 50, durationMs: 0, maxInFlight: 10, timeoutMs: 1_000, json: true },
        stop.signal,
      );
      expect(report.durationMs).to.be.below(1_000);
      expect(report.sent).to.be.within(5, 20);
    } finally {
      await app.server.close();
    }
  });
});
