import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { freePort } from '../../../scripts/lib/ports.ts';
import { LatencySample } from '../../src/loadgen/latency.ts';
import { nextRequest, OrderMemory } from '../../src/loadgen/mix.ts';
import { loadOptions } from '../../src/loadgen/options.ts';
import { runLoad } from '../../src/loadgen/runner.ts';
import { seededUniform } from '../../src/simulation/random.ts';
import { serveApp } from '../support/app-fixture.ts';

describe('loadgen', () => {
  it('takes flags over the environment and bounds every value', () => {
    const options = loadOptions(['--rate', '5', '--duration', '10s'], { LOADGEN_TARGET: 'http://svc:8080/', LOADGEN_RATE: '50' });
    expect(options).to.include({ target: 'http://svc:8080', rate: 5, durationMs: 10_000 });
    expect(() => loadOptions(['--rate', '0'], {})).to.throw(/rate/);
    expect(() => loadOptions(['--duration', '48h'], {})).to.throw('--duration: must be at most 24h');
    expect(() => loadOptions(['--duration', 'soon'], {})).to.throw(/not a duration/);
    expect(() => loadOptions(['--target', 'ftp://x'], {})).to.throw(/target/);
    expect(() => loadOptions(['--bogus'], {})).to.throw(/bogus/);
  });

  it('refuses a bad rate at once, naming the flag, the value and the range', () => {
    expect(() => loadOptions(['--rate', 'abc'], {})).to.throw('--rate "abc": must be a number above 0 and at most 10000');
    expect(() => loadOptions(['--rate=-5'], {})).to.throw('--rate "-5": must be a number above 0 and at most 10000');
    expect(() => loadOptions([], { LOADGEN_RATE: '' })).to.throw('--rate: must be a number above 0 and at most 10000');
    expect(() => loadOptions(['--max-in-flight', '1.5'], {})).to.throw('--max-in-flight "1.5": must be a whole number from 1 to 10000');
    expect(() => loadOptions(['--progress', 'often'], {})).to.throw(/--progress: not a duration: "often"/);
    expect(loadOptions(['--progress', '0'], {}).progressMs).to.equal(0);
    expect(loadOptions([], {}).progressMs).to.equal(10_000);
  });

  it('the command line exits 2 with the message and usage, no stack trace', () => {
    const main = fileURLToPath(new URL('../../src/loadgen/main.ts', import.meta.url));
    const result = spawnSync(process.execPath, [main, '--rate=-5'], { encoding: 'utf8', timeout: 10_000 });
    expect(result.status).to.equal(2);
    expect(result.stderr).to.match(/^loadgen: --rate "-5": must be a number above 0 and at most 10000\nusage: loadgen/);
    expect(result.stderr).to.not.match(/\n\s+at /);
  });

  it('computes nearest-rank percentiles (1..200 shuffled: 100, 190, 198)', () => {
    const sample = new LatencySample(1_000, seededUniform(3));
    const values = Array.from({ length: 200 }, (_, i) => i + 1);
    const uniform = seededUniform(9);
    for (let i = values.length - 1; i > 0; i--) {
      const j = Math.floor(uniform() * (i + 1));
      [values[i], values[j]] = [values[j]!, values[i]!];
    }
    expect(new LatencySample().percentiles()).to.equal(undefined);
    for (const value of values) sample.record(value);
    expect(sample.percentiles()).to.deep.equal({ p50: 100, p95: 190, p99: 198 });
  });

  it('keeps a bounded, uniform sample past its capacity', () => {
    const sample = new LatencySample(2_000, seededUniform(5));
    for (let i = 1; i <= 200_000; i++) sample.record(i);
    expect(sample.count).to.equal(200_000);
    const { p50, p95, p99 } = sample.percentiles()!;
    // A 2,000-value sample puts each percentile within a few % of the true one.
    expect(p50).to.be.closeTo(100_000, 8_000);
    expect(p95).to.be.closeTo(190_000, 4_000);
    expect(p99).to.be.closeTo(198_000, 2_000);
  });

  it('counts every non-2xx as failed, and unanswered requests apart', async () => {
    // A stand-in that answers checkout 502 and everything else 200.
    const server = createServer((request, response) => {
      response.statusCode = request.url?.startsWith('/api/checkout') ? 502 : request.url === '/api/orders' ? 201 : 200;
      response.end(request.url === '/api/orders' ? '{"id":"ord_1"}' : '{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const target = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const report = await runLoad(
        { target, rate: 200, durationMs: 1_000, maxInFlight: 50, timeoutMs: 2_000, seed: 4, json: true, progressMs: 0 },
        new AbortController().signal,
      );
      expect(report.byStatus['502']).to.be.above(0);
      expect(report.failed).to.equal(report.byStatus['502']);
      expect(report.ok).to.equal((report.byStatus['200'] ?? 0) + (report.byStatus['201'] ?? 0));
      expect(report.ok + report.failed).to.equal(report.sent);
      expect(report.unanswered).to.equal(0);
      expect(report.latencyMs!.p50).to.be.at.most(report.latencyMs!.p95);
      expect(report.latencyMs!.p95).to.be.at.most(report.latencyMs!.p99);
    } finally {
      server.close();
    }
    const nobody = await runLoad(
      {
        target: `http://127.0.0.1:${await freePort()}`,
        rate: 50,
        durationMs: 200,
        maxInFlight: 50,
        timeoutMs: 1_000,
        json: true,
        progressMs: 0,
      },
      new AbortController().signal,
    );
    expect(nobody).to.include({ sent: 10, failed: 10, unanswered: 10, ok: 0 });
    expect(nobody.latencyMs).to.equal(undefined);
  });

  it('prints progress while running and p50/p95/p99 in its summary (--json: summary alone on stdout)', async () => {
    const app = await serveApp();
    try {
      const main = fileURLToPath(new URL('../../src/loadgen/main.ts', import.meta.url));
      const child = spawn(
        process.execPath,
        [main, '--target', app.server.url, '--rate', '50', '--duration', '1500ms', '--progress', '300ms', '--json'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const code = await new Promise((resolve) => child.once('exit', resolve));
      expect(code).to.equal(0);
      const progress = stderr
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { msg: string; sent?: number; latencyMs?: unknown })
        .filter((line) => line.msg === 'progress');
      expect(progress.length).to.be.at.least(3);
      expect(progress.at(-1)!.sent).to.be.above(progress[0]!.sent!);
      expect(progress.at(-1)!.latencyMs).to.have.keys('p50', 'p95', 'p99');
      const summary = JSON.parse(stdout) as { sent: number; latencyMs: { p50: number; p95: number; p99: number } };
      expect(summary.sent).to.equal(75);
      expect(summary.latencyMs.p50).to.be.above(0).and.at.most(summary.latencyMs.p95);
      expect(summary.latencyMs.p95).to.be.at.most(summary.latencyMs.p99);
    } finally {
      await app.server.close();
    }
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
        { target: app.server.url, rate: 100, durationMs: 1_000, maxInFlight: 50, timeoutMs: 2_000, seed: 1, json: true, progressMs: 0 },
        new AbortController().signal,
      );
      expect(report.sent).to.equal(100);
      expect(report.unanswered).to.equal(0);
      // The mix asks for unknown items on purpose: those 404s count as failed, as any non-2xx.
      const non2xx = Object.entries(report.byStatus).filter(([status]) => !status.startsWith('2'));
      expect(report.failed).to.equal(non2xx.reduce((sum, [, count]) => sum + count, 0));
      expect(report.ok + report.failed).to.equal(100);
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
        { target: app.server.url, rate: 100, durationMs: 500, maxInFlight: 50, timeoutMs: 2_000, seed: 2, json: true, progressMs: 0 },
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
        { target: app.server.url, rate: 50, durationMs: 450, maxInFlight: 10, timeoutMs: 1_000, json: true, progressMs: 0 },
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
        { target: app.server.url, rate: 50, durationMs: 0, maxInFlight: 10, timeoutMs: 1_000, json: true, progressMs: 0 },
        stop.signal,
      );
      expect(report.durationMs).to.be.below(1_000);
      expect(report.sent).to.be.within(5, 20);
    } finally {
      await app.server.close();
    }
  });
});
