// scripts/rules.ts: the chart's PrometheusRule as a plain rule file for Prometheus without
// the operator, selecting the local stack's labels, accepted by the real promtool of every
// installed Prometheus (the native-histogram rules by Prometheus 3).
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { prometheusInstalls } from '../lib/prometheus-versions.ts';
import { makeTempDir } from '../lib/temp-dir.ts';

const SCRIPT = fileURLToPath(new URL('../rules.ts', import.meta.url));

describe('scripts/rules.ts', function () {
  this.timeout(20_000);
  let dir: string;
  let remove: () => Promise<void>;
  before(async () => {
    ({ dir, remove } = await makeTempDir('redline-rules-'));
  });
  after(() => remove());

  it('writes the chart rules for namespace="local", job="redline", valid for promtool', async () => {
    const out = join(dir, 'nested', 'redline.rules.yml');
    const run = spawnSync(process.execPath, [SCRIPT, '--out', out], { encoding: 'utf8' });
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/wrote \d+ rules in 3 groups/);
    const file = parse(await readFile(out, 'utf8')) as { groups: { name: string; rules: { expr: string }[] }[] };
    expect(file.groups.map((g) => g.name)).to.deep.equal(['redline.red', 'redline.slo', 'redline.alerts']);
    for (const rule of file.groups.flatMap((g) => g.rules)) {
      if (/http_|up\{/.test(rule.expr) && !rule.expr.startsWith('vector('))
        expect(rule.expr).to.include('namespace="local", job="redline"');
    }
    expect(prometheusInstalls().map((i) => i.major)).to.include(3);
    for (const install of prometheusInstalls()) {
      const check = spawnSync(install.promtool, ['check', 'rules', out], { encoding: 'utf8' });
      expect(check.status, `promtool ${install.version}: ${check.stdout}${check.stderr}`).to.equal(0);
    }
  });

  it("writes the native-histogram rules with --values (compose's values), valid for promtool 3", async () => {
    const out = join(dir, 'native.rules.yml');
    const values = fileURLToPath(new URL('../../compose/redline-values.yaml', import.meta.url));
    const run = spawnSync(process.execPath, [SCRIPT, '--out', out, '--values', values], { encoding: 'utf8' });
    expect(run.status, run.stderr).to.equal(0);
    const text = await readFile(out, 'utf8');
    expect(text).to.include('histogram_fraction(').and.not.include('http_request_duration_seconds_bucket');
    for (const install of prometheusInstalls().filter((i) => i.major >= 3)) {
      const check = spawnSync(install.promtool, ['check', 'rules', out], { encoding: 'utf8' });
      expect(check.status, `promtool ${install.version}: ${check.stdout}${check.stderr}`).to.equal(0);
    }
  });

  it('follows --namespace, --release and --values, and fails on values the schema rejects', async () => {
    const out = join(dir, 'shop.rules.yml');
    const ok = spawnSync(process.execPath, [SCRIPT, '--out', out, '--namespace', 'shop', '--release', 'web'], { encoding: 'utf8' });
    expect(ok.status, ok.stderr).to.equal(0);
    expect(await readFile(out, 'utf8')).to.include('namespace="shop", job="web-redline"');
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'slo:\n  latency:\n    thresholdSeconds: 0.3\n');
    const failed = spawnSync(process.execPath, [SCRIPT, '--out', join(dir, 'x.yml'), '--values', bad], { encoding: 'utf8' });
    expect(failed.status).to.equal(1);
    expect(failed.stderr).to.include('thresholdSeconds');
  });
});
