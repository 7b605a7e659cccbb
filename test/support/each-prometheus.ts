// Runs a suite once per installed Prometheus version: 3.x (the default, required) and 2.x
// (compatibility, as long as what is tested claims to support it). A missing 3.x fails; a
// missing 2.x shows as a pending test that says so.
import { prometheusInstall, type PrometheusInstall } from '../../scripts/lib/prometheus-versions.ts';

export type { PrometheusInstall };

export interface VersionOptions {
  /** The oldest major version the tested thing supports (native histograms: 3). */
  minMajor?: 2 | 3;
}

/** `suite` runs as the body of a describe() per version (`this` is that mocha Suite). */
export function forEachPrometheus(options: VersionOptions, suite: (this: Mocha.Suite, install: PrometheusInstall) => void): void {
  for (const major of [3, 2]) {
    if (major < (options.minMajor ?? 2)) {
      describe(`on Prometheus ${major}.x`, () => {
        it(`is not run: this needs Prometheus >= ${options.minMajor}`);
      });
      continue;
    }
    const install = prometheusInstall(major);
    if (install) {
      describe(`on Prometheus ${install.version}`, function () {
        suite.call(this, install);
      });
    } else if (major === 3) {
      describe('on Prometheus 3.x', () => {
        it('is installed under .tools/prometheus/3 (make bootstrap)', () => {
          throw new Error('Prometheus 3.x is not installed: run `make bootstrap`');
        });
      });
    } else {
      describe(`on Prometheus ${major}.x`, () => {
        it(`runs when Prometheus ${major}.x is installed under .tools/prometheus/${major} (not installed here)`);
      });
    }
  }
}
