// `make hardening`: each hostile pattern against the real service confined to the chart's
// memory limit (a real memory cgroup; needs root). The process must survive with room to
// spare, /healthz must keep answering, and normal API requests must keep being served.
import { expect } from 'chai';
import { LIMIT_BYTES, PATTERNS, runPattern, summary } from './patterns.ts';

const DURATION_MS = Number(process.env.HOSTILE_SECONDS ?? 10) * 1000;
const MiB = 1024 * 1024;
/** Well below the limit: the cgroup's own reclaim must not be what kept the process alive. */
const HEADROOM_MIB = 0.75 * (LIMIT_BYTES / MiB);

describe(`hardening: hostile clients inside a ${LIMIT_BYTES / MiB} MiB memory cgroup (real process)`, function () {
  this.timeout(DURATION_MS + 60_000);

  for (const pattern of PATTERNS) {
    it(`${pattern.name}: survives under ${HEADROOM_MIB} MiB, probes keep answering`, async () => {
      const result = await runPattern(pattern, DURATION_MS);
      console.log(`      ${summary(result)}`);
      expect(result.oomKills, 'OOM kills').to.equal(0);
      expect(result.alive, 'process alive after the attack').to.equal(true);
      expect(result.cgroupPeakMiB, 'cgroup peak MiB').to.be.below(HEADROOM_MIB);
      const { healthz, api } = result.probes;
      const rounds = healthz.ok + healthz.failed.length;
      // Probes run one round at a time; under a flood a round can take a second or two on this
      // shared machine (the attacker runs on the same two cores), so count a few, not one a second.
      expect(rounds, 'probe rounds').to.be.at.least(3);
      // A probe may time out (3 s) now and then, but never more than one in ten.
      expect(healthz.failed.length, `/healthz failures: ${healthz.failed.join('; ')}`).to.be.at.most(Math.floor(rounds * 0.1));
      expect(api.failed.length, `API failures: ${api.failed.join('; ')}`).to.be.at.most(Math.floor(rounds * 0.1));
      if (pattern.fillsInFlightCap) {
        // Every normal request is answered: served, or shed with 503 + Retry-After while the
        // attacker holds the cap; some get through as the attacker's requests finish.
        expect(api.ok + api.shed, 'API requests served or shed').to.be.at.least(rounds - Math.floor(rounds * 0.1));
        expect(api.ok, 'API requests served').to.be.at.least(1);
      } else {
        expect(api.ok, 'API requests served').to.be.at.least(Math.ceil(rounds * 0.5));
      }
    });
  }
});
