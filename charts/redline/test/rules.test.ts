// The rendered PrometheusRule, checked and unit-tested by the real promtool of every installed
// Prometheus (3.x, and 2.x for the classic rules): every alert fires on a synthetic burn at its
// rate and stays silent at the objective. The native-histogram rules (metrics.nativeHistograms)
// get the same tests with native input series, on Prometheus 3 only.
import { expect } from 'chai';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CHART_DIR } from '../../../scripts/lib/helm.ts';
import { renderRuleGroups, ruleFileText, type RuleGroup } from '../../../scripts/lib/rules.ts';
import { forEachPrometheus } from '../../../test/support/each-prometheus.ts';
import { generateRuleTests, type TestTarget } from '../../../test/support/chart/rule-tests.ts';
import { promtool } from '../../../test/support/chart/promtool.ts';
import { withTempDir } from '../../../scripts/lib/temp-dir.ts';
import { loadValues, VALUES_DIR } from '../../../test/support/chart/values.ts';

const NATIVE = { metrics: { nativeHistograms: true } };

/** Generates the unit tests from the values, keeps those whose name matches `only`, runs promtool. */
async function runUnitTests(binary: string, groups: RuleGroup[], valuesFiles: string[], target: TestTarget, only?: RegExp) {
  const values = await loadValues(valuesFiles);
  return withTempDir('redline-chart-', async (dir) => {
    await writeFile(join(dir, 'rules.yml'), ruleFileText(groups));
    const tests = generateRuleTests('rules.yml', groups, values, target);
    if (only) tests.tests = tests.tests.filter((test) => only.test((test as { name: string }).name));
    expect(tests.tests, `tests matching ${only}`).to.not.be.empty;
    await writeFile(join(dir, 'tests.yml'), stringify(tests, { lineWidth: 0 }));
    return { ...(await promtool(['test', 'rules', join(dir, 'tests.yml')], binary)), tests };
  });
}

const valueSets: { name: string; files: string[]; native: boolean }[] = [
  { name: 'default values', files: [], native: false },
  { name: 'custom SLOs (threshold 1s, period 28d, two burn rates)', files: [join(VALUES_DIR, 'slo-custom.yaml')], native: false },
  { name: 'native histograms', files: [], native: true },
  { name: 'native histograms, custom SLOs', files: [join(VALUES_DIR, 'slo-custom.yaml')], native: true },
  { name: 'native histograms, threshold 0.3s (no bucket boundary)', files: [join(VALUES_DIR, 'native-threshold.yaml')], native: true },
];

const target = (native: boolean): TestTarget => ({ namespace: 'local', job: 'redline', histograms: native ? 'native' : 'classic' });

describe('chart: PrometheusRule with promtool', function () {
  this.timeout(60_000);

  for (const set of valueSets) {
    describe(set.name, () => {
      let groups: RuleGroup[];
      before(async () => {
        groups = await renderRuleGroups({ valuesFiles: set.files, values: set.native ? NATIVE : {} });
      });

      it('names groups redline.* and alerts Redline*, each with severity, summary and description', () => {
        for (const group of groups) expect(group.name).to.match(/^redline\./);
        const alerts = groups.flatMap((g) => g.rules).filter((r) => r.alert);
        expect(alerts).to.not.be.empty;
        for (const alert of alerts) {
          expect(alert.alert).to.match(/^Redline[A-Za-z]+$/);
          expect(alert.labels?.severity).to.be.oneOf(['critical', 'warning']);
          expect(alert.annotations?.summary, alert.alert).to.be.a('string').and.not.be.empty;
          expect(alert.annotations?.description, alert.alert).to.be.a('string').and.not.be.empty;
        }
      });

      it('never matches le by an exact string (Prometheus 3 normalises le values)', () => {
        for (const rule of groups.flatMap((g) => g.rules)) expect(rule.expr).to.not.match(/\ble\s*(=|!=)\s*"/);
      });

      if (set.native) {
        it('reads the latency histogram only natively: no _bucket, _count or le, the SLI through histogram_fraction', () => {
          const exprs = groups.flatMap((g) => g.rules).map((r) => r.expr);
          for (const expr of exprs) expect(expr).to.not.match(/http_request_duration_seconds_(bucket|count|sum)\{|\ble\b/);
          expect(exprs.filter((e) => e.includes('histogram_fraction(0, '))).to.have.length(1);
          expect(
            exprs.filter((e) =>
              /histogram_quantile\([\d.]+, sum by \(namespace, job, route\) \(rate\(http_request_duration_seconds\{/.test(e),
            ),
          ).to.not.be.empty;
        });
      }

      forEachPrometheus({ minMajor: set.native ? 3 : 2 }, (install) => {
        it('passes promtool check rules', async () => {
          await withTempDir('redline-chart-', async (dir) => {
            const file = join(dir, 'rules.yml');
            await writeFile(file, ruleFileText(groups));
            const result = await promtool(['check', 'rules', file], install.promtool);
            expect(result.code, result.output).to.equal(0);
            expect(result.output).to.match(/SUCCESS: \d+ rules found/);
          });
        });

        it('passes the generated promtool unit tests (burns fire at their rate, silent at the objective)', async () => {
          const result = await runUnitTests(install.promtool, groups, set.files, target(set.native));
          expect(result.code, result.output).to.equal(0);
          expect(result.output).to.include('SUCCESS');
          // 2 SLOs x (one burn per distinct rate + at-objective), 1 abort burn, 3 target-down, 5 recording.
          const rates = new Set((await loadValues(set.files)).slo.burnRates.map((b) => b.burnRate)).size;
          expect(result.tests.tests).to.have.length(2 * (rates + 1) + 1 + 3 + 5);
        });
      });
    });
  }

  forEachPrometheus({}, (install) => {
    it('matches the latency bucket in both spellings: le="1" (Prometheus 2) and le="1.0" (Prometheus 3)', async () => {
      const files = [join(VALUES_DIR, 'slo-custom.yaml')];
      const groups = await renderRuleGroups({ valuesFiles: files });
      const result = await runUnitTests(
        install.promtool,
        groups,
        files,
        { namespace: 'local', job: 'redline', leSpelling: 'prometheus3' },
        /latency/,
      );
      expect(result.code, result.output).to.equal(0);
    });

    it('the abort test can fail: rules that count fast 499s as good do not burn the latency budget', async () => {
      const groups = await renderRuleGroups();
      for (const rule of groups.flatMap((g) => g.rules)) rule.expr = rule.expr.replaceAll(', status_code!="499"', '');
      const result = await runUnitTests(install.promtool, groups, [], target(false), /client abort/);
      expect(result.code).to.not.equal(0);
      expect(result.output).to.match(/RedlineLatencyErrorBudgetBurn|latency/);
    });

    it('selects only its own release: rules rendered for another namespace see none of these series', async () => {
      const groups = await renderRuleGroups({ namespace: 'shop' });
      const result = await runUnitTests(install.promtool, groups, [], target(false), /^availability: .* up to 14\.4x/);
      expect(result.code).to.not.equal(0);
    });

    it('the unit tests can fail: rules with another objective do not pass tests generated for the default', async () => {
      const groups = await renderRuleGroups({ values: { slo: { availability: { objective: 0.99 } } } });
      const result = await runUnitTests(install.promtool, groups, [], target(false), /^availability: .* up to 14\.4x/);
      expect(result.code).to.not.equal(0);
      expect(result.output).to.match(/availability/);
    });
  });

  it('classic buckets refuse a threshold between boundaries, and the schema says why', async () => {
    const error = await renderRuleGroups({ values: { slo: { latency: { thresholdSeconds: 0.3 } } } }).catch((e: Error) => e);
    expect(String(error)).to.match(/thresholdSeconds.*must be one of 0\.005, 0\.01, .*0\.25, 0\.5/s);
    const schema = JSON.parse(await readFile(join(CHART_DIR, 'values.schema.json'), 'utf8')) as {
      allOf: {
        then: { properties: { slo: { properties: { latency: { properties: { thresholdSeconds: { description: string } } } } } } };
      }[];
    };
    expect(schema.allOf[0]!.then.properties.slo.properties.latency.properties.thresholdSeconds.description).to.match(
      /a classic histogram cannot tell fast from slow requests; turn on metrics\.nativeHistograms/,
    );
  });

  forEachPrometheus({ minMajor: 3 }, (install) => {
    it('native: the abort test can fail: rules that count fast 499s as good do not burn the latency budget', async () => {
      const groups = await renderRuleGroups({ values: NATIVE });
      for (const rule of groups.flatMap((g) => g.rules)) rule.expr = rule.expr.replaceAll(', status_code!="499"', '');
      const result = await runUnitTests(install.promtool, groups, [], target(true), /client abort/);
      expect(result.code).to.not.equal(0);
      expect(result.output).to.match(/RedlineLatencyErrorBudgetBurn|latency/);
    });

    it('native: the latency tests can fail: classic rules see nothing in native-only series', async () => {
      const groups = await renderRuleGroups();
      const result = await runUnitTests(install.promtool, groups, [], target(true), /^latency: .* up to 14\.4x/);
      expect(result.code).to.not.equal(0);
    });

    it('native: the SLI follows the threshold: rules with threshold 0.25s count the requests between 0.25s and 0.5s as slow', async () => {
      const groups = await renderRuleGroups({ values: { ...NATIVE, slo: { latency: { thresholdSeconds: 0.25 } } } });
      const result = await runUnitTests(install.promtool, groups, [], target(true), /^latency SLI counts/);
      expect(result.code).to.not.equal(0);
      expect(result.output).to.match(/slo_errors:ratio_rate5m/);
    });
  });
});
