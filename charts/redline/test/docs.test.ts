// Documentation that must follow the chart: every value in the README's values table, and
// every alert with its runbook section (the anchor the runbook_url annotation points at).
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { CHART_DIR } from '../../../scripts/lib/helm.ts';
import { renderRuleGroups } from '../../../scripts/lib/rules.ts';

const RUNBOOK = fileURLToPath(new URL('../../../docs/runbook.md', import.meta.url));
/** Values whose value is a map the user fills in, documented as one entry. */
const MAP_VALUES = new Set([
  'resources',
  'loadgen.resources',
  'tests.resources',
  'monitoring.selectorLabels',
  'dashboard.labels',
  'podSecurityContext',
  'securityContext',
  'alertmanagerConfig.severityReceivers',
]);

function leafKeys(values: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(values).flatMap(([key, value]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    const nested = typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length > 0;
    return nested && !MAP_VALUES.has(path) ? leafKeys(value as Record<string, unknown>, path) : [path];
  });
}

describe('docs: chart README and runbook', () => {
  it('the README values table lists every value, and only existing ones', async () => {
    const values = parse(await readFile(join(CHART_DIR, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    const readme = await readFile(join(CHART_DIR, 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('## Values'));
    const documented = [...table.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!);
    const keys = leafKeys(values);
    expect(keys.length).to.be.greaterThan(50);
    expect(documented).to.have.members(keys);
  });

  it('the runbook has a section per alert, each with meaning, impact, diagnosis and mitigation', async () => {
    const runbook = await readFile(RUNBOOK, 'utf8');
    const alerts = new Set(
      (await renderRuleGroups())
        .flatMap((g) => g.rules)
        .map((r) => r.alert)
        .filter((a): a is string => a !== undefined),
    );
    const sections = runbook
      .split(/^## /m)
      .slice(1)
      .map((s) => ({ title: s.slice(0, s.indexOf('\n')).trim(), body: s }));
    expect(sections.map((s) => s.title)).to.have.members([...alerts]);
    for (const section of sections) {
      for (const part of ['**Meaning.**', '**Impact.**', '**Diagnosis.**', '**Mitigation.**']) {
        expect(section.body, `${section.title} ${part}`).to.include(part);
      }
    }
  });
});
