// Without the kube-prometheus-stack chart (not local, and the one `helm pull` fails), the specs
// that render it skip with a banner, the kind values' keys are still checked against the
// committed key list, and everything else runs. A real mocha run in a subprocess, with
// KPS_CHART_TGZ at a missing file and KPS_CHART_REF at a loopback registry that refuses.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../scripts/lib/paths.ts';

interface MochaJson {
  stats: { passes: number; pending: number; failures: number };
  passes: { fullTitle: string }[];
  pending: { fullTitle: string }[];
  failures: { fullTitle: string; err: { message: string } }[];
}

function mochaWithoutChart(specs: string[]): Promise<{ code: number; json: MochaJson; stderr: string; ms: number }> {
  const started = Date.now();
  const args = [join(repoRoot, 'node_modules/mocha/bin/mocha.js'), '--reporter', 'json', '--timeout', '60000', ...specs];
  const env = {
    ...process.env,
    KPS_CHART_TGZ: join(repoRoot, '.tools/no-such-dir/kube-prometheus-stack-88.5.3.tgz'),
    KPS_CHART_REF: 'oci://127.0.0.1:1/charts/kube-prometheus-stack',
  };
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: repoRoot, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, json: JSON.parse(stdout) as MochaJson, stderr, ms: Date.now() - started });
    });
  });
}

describe('kube-prometheus-stack chart unavailable (offline clone without ../shared)', function () {
  this.timeout(90_000);
  let run: Awaited<ReturnType<typeof mochaWithoutChart>>;

  before(async function () {
    run = await mochaWithoutChart(['test/repo/kube-prometheus-stack-values.test.ts', 'test/repo/redline-values.test.ts']);
  });

  it('fails nothing: the run exits 0', function () {
    expect(run.json.failures.map((f) => `${f.fullTitle}: ${f.err.message}`)).to.deep.equal([]);
    expect(run.code).to.equal(0);
  });

  it('tries helm pull once, fails fast, and says so in one loud banner', function () {
    expect(run.stderr.match(/KUBE-PROMETHEUS-STACK SPECS SKIPPED/g)).to.have.length(1);
    expect(run.stderr).to.include('helm pull oci://127.0.0.1:1/charts/kube-prometheus-stack --version 88.5.3 failed');
    expect(run.stderr).to.include('no-such-dir/kube-prometheus-stack-88.5.3.tgz');
    expect(run.ms, 'whole subprocess run').to.be.below(45_000);
  });

  it('skips the specs that render the chart', function () {
    const pending = run.json.pending.map((t) => t.fullTitle).join('\n');
    expect(pending).to.include('drops the scrapes that are always down on kind');
    expect(pending).to.include('the ServiceMonitor is selected by the Prometheus CR');
    expect(pending).to.include('the committed key list is the pinned chart');
    expect(run.json.stats.pending).to.be.at.least(8);
  });

  it('still checks the kind values keys, against the committed key list, and says so; the rest runs', function () {
    const passed = run.json.passes.map((t) => t.fullTitle).join('\n');
    expect(passed).to.include('keys: uses only keys the chart and its subcharts have');
    expect(run.stderr).to.include('checked against the committed key list');
    expect(passed).to.include('runs the loaded redline:dev image, never pulled');
    expect(passed).to.include(
      'k8s/redline-values.yaml with charts/redline and the kind kube-prometheus-stack uses only keys the chart has',
    );
  });
});
