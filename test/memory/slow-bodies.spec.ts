// `make hardening`: 1,100 slow bodies (1 byte/s each, reconnecting when closed) against the
// service confined to the chart's 256 MiB: a good client keeps at least 99% success and a
// p99 under 100 ms, and the process stays far from the limit (docs/security.md keeps the numbers).
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { goodClient, percentile, startSlowBodies, successRate } from '../support/slow-bodies.ts';
import { createMemoryCgroup, startConfinedService } from './cgroup.ts';
import { LIMIT_BYTES } from './patterns.ts';

const MiB = 1024 * 1024;
const DURATION_MS = Number(process.env.HOSTILE_SECONDS ?? 10) * 1000;
const HEADROOM_MIB = 0.75 * (LIMIT_BYTES / MiB);

describe(`hardening: a slow-body flood inside a ${LIMIT_BYTES / MiB} MiB memory cgroup (real process)`, function () {
  this.timeout(DURATION_MS + 60_000);

  it('1,100 slow bodies: the good client keeps >= 99% success and p99 < 100 ms, no OOM, peak under the headroom', async () => {
    const cgroup = createMemoryCgroup(`redline-slow-bodies-${process.pid}-${Date.now()}`, LIMIT_BYTES);
    try {
      const service = await startConfinedService(cgroup, { SIM_ERROR_RATE: '0', SIM_LATENCY_FACTOR: '0' });
      try {
        const attack = startSlowBodies(service.port, '127.0.0.1', 1_100);
        await sleep(2_000); // every attacker connected and into its body
        const stop = { now: false };
        const client = goodClient(service.url, 4, stop);
        await sleep(DURATION_MS);
        stop.now = true;
        const tally = await client;
        const report = await attack.stop();
        const rate = successRate(tally);
        const p99 = percentile(tally.ms, 99);
        const peakMiB = Math.round(cgroup.peakBytes() / MiB);
        console.log(
          `      cgroup peak ${peakMiB} MiB, oom_kill ${cgroup.oomKills()}; good client ${(rate * 100).toFixed(2)}% of ${tally.ms.length} ` +
            `${JSON.stringify(tally.statuses)}, p50 ${percentile(tally.ms, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms; attacker ${JSON.stringify(report)}`,
        );
        expect(cgroup.oomKills(), 'OOM kills').to.equal(0);
        expect(service.process.exitCode, 'process alive').to.equal(null);
        expect(peakMiB, 'cgroup peak MiB').to.be.below(HEADROOM_MIB);
        expect(tally.ms.length, 'good requests').to.be.above(100);
        expect(rate, 'good client success rate').to.be.at.least(0.99);
        expect(p99, 'good client p99, ms').to.be.below(100);
      } finally {
        await service.stop();
      }
    } finally {
      await cgroup.remove();
    }
  });
});
