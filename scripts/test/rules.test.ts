// scripts/rules.ts: the chart's PrometheusRule as a plain rule file for Prometheus without
// the operator, selecting the local stack's labels, accepted by the real promtool.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
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
      if (/http_|up\{/.test(rule.expr) && !rule.expr.startsWith('vector(')) expect(rule.expr).to.include('namespace="local", job="redline"');
    }
    const check = spawnSync('promtool', ['check', 'rules', out], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).to.equal(0);
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
