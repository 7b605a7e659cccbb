// The rendered PrometheusRule, checked and unit-tested by the real promtool: every alert
// fires on a synthetic burn at its rate and stays silent at the objective.
import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { renderRuleGroups, ruleFileText, type RuleGroup } from '../../../scripts/rules.ts';
import { generateRuleTests, type TestTarget } from './support/rule-tests.ts';
import { promtool } from './support/promtool.ts';
import { withTempDir } from '../../../scripts/lib/temp-dir.ts';
import { loadValues, VALUES_DIR } from './support/values.ts';

/** Generates the unit tests from the values, keeps those whose name matches `only`, runs promtool. */
async function runUnitTests(groups: RuleGroup[], valuesFiles: string[], target: TestTarget, only?: RegExp) {
  const values = await loadValues(valuesFiles);
  return withTempDir('redline-chart-', async (dir) => {
    await writeFile(join(dir, 'rules.yml'), ruleFileText(groups));
    const tests = generateRuleTests('rules.yml', groups, values, target);
    if (only) tests.tests = tests.tests.filter((test) => only.test((test as { name: string }).name));
    expect(tests.tests, `tests matching ${only}`).to.not.be.empty;
    await writeFile(join(dir, 'tests.yml'), stringify(tests, { lineWidth: 0 }));
    return { ...(await promtool(['test', 'rules', join(dir, 'tests.yml')])), tests };
  });
}

const valueSets: { name: string; files: string[] }[] = [
  { name: 'default values', files: [] },
  { name: 'custom SLOs (threshold 1s, period 28d, two burn rates)', files: [join(VALUES_DIR, 'slo-custom.yaml')] },
];

describe('chart: PrometheusRule with promtool', function () {
  this.timeout(60_000);

  for (const set of valueSets) {
    describe(set.name, () => {
      let groups: RuleGroup[];
      before(async () => {
        groups = await renderRuleGroups({ valuesFiles: set.files });
      });

      it('passes promtool check rules', async () => {
        await withTempDir('redline-chart-', async (dir) => {
          const file = join(dir, 'rules.yml');
          await writeFile(file, ruleFileText(groups));
          const result = await promtool(['check', 'rules', file]);
          expect(result.code, result.output).to.equal(0);
          expect(result.output).to.match(/SUCCESS: \d+ rules found/);
        });
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

      it('passes the generated promtool unit tests (burns fire at their rate, silent at the objective)', async () => {
        const result = await runUnitTests(groups, set.files, { namespace: 'local', job: 'redline' });
        expect(result.code, result.output).to.equal(0);
        expect(result.output).to.include('SUCCESS');
        // 2 SLOs x (one burn per distinct rate + at-objective), 1 abort burn, 3 target-down, 4 recording.
        const rates = new Set((await loadValues(set.files)).slo.burnRates.map((b) => b.burnRate)).size;
        expect(result.tests.tests).to.have.length(2 * (rates + 1) + 1 + 3 + 4);
      });
    });
  }

  it('matches the latency bucket in both spellings: le="1" (Prometheus 2) and le="1.0" (Prometheus 3)', async () => {
    const files = [join(VALUES_DIR, 'slo-custom.yaml')];
    const groups = await renderRuleGroups({ valuesFiles: files });
    const result = await runUnitTests(groups, files, { namespace: 'local', job: 'redline', leSpelling: 'prometheus3' }, /latency/);
    expect(result.code, result.output).to.equal(0);
  });

  it('the abort test can fail: rules that count fast 499s as good do not burn the latency budget', async () => {
    const groups = await renderRuleGroups();
    for (const rule of groups.flatMap((g) => g.rules)) rule.expr = rule.expr.replaceAll(', status_code!="499"', '');
    const result = await runUnitTests(groups, [], { namespace: 'local', job: 'redline' }, /client abort/);
    expect(result.code).to.not.equal(0);
    expect(result.output).to.match(/RedlineLatencyErrorBudgetBurn|latency/);
  });

  it('selects only its own release: rules rendered for another namespace see none of these series', async () => {
    const groups = await renderRuleGroups({ namespace: 'shop' });
    const result = await runUnitTests(groups, [], { namespace: 'local', job: 'redline' }, /^availability: .* up to 14\.4x/);
    expect(result.code).to.not.equal(0);
  });

  it('the unit tests can fail: rules with another objective do not pass tests generated for the default', async () => {
    const groups = await renderRuleGroups({ values: { slo: { availability: { objective: 0.99 } } } });
    const result = await runUnitTests(groups, [], { namespace: 'local', job: 'redline' }, /^availability: .* up to 14\.4x/);
    expect(result.code).to.not.equal(0);
    expect(result.output).to.match(/availability/);
  });
});
