// `make hardening`: flooding /metrics must leave the API's p99 within the bound documented in
// docs/security.md, measured against the real process.
import { expect } from 'chai';
import { floodSummary, measureFlood } from './metrics-flood.ts';

/** The documented bound: the API's p99 under a /metrics flood stays below this. */
const FLOODED_P99_BOUND_MS = 100;

describe('hardening: /metrics flood against the API (real process)', function () {
  this.timeout(180_000);

  for (const separate of [true, false]) {
    it(`API p99 stays under ${FLOODED_P99_BOUND_MS} ms while 16 connections flood /metrics (${separate ? 'METRICS_PORT' : 'same port'})`, async () => {
      const result = await measureFlood(separate);
      const { floodedP99, line } = floodSummary(result);
      console.log(`      ${line}`);
      for (const burst of [...result.quiet, ...result.flooded]) expect(burst.non2xx + burst.errors, 'API failures').to.equal(0);
      expect(floodedP99).to.be.below(FLOODED_P99_BOUND_MS);
    });
  }
});
