// .github/workflows: valid against GitHub's workflow schema (@action-validator/core bundles
// it), every action pinned to a commit with its version noted, and the steps each job needs.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { validateWorkflow } from '@action-validator/core';
import { parse } from 'yaml';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { withTempDir } from '../../scripts/lib/temp-dir.ts';
import { versions } from '../../scripts/lib/versions.ts';

const run = promisify(execFile);

const dir = join(repoRoot, '.github/workflows');
const files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
}
interface Workflow {
  on: unknown;
  jobs: Record<string, { steps: Step[] }>;
}

async function workflow(file: string): Promise<{ text: string; doc: Workflow; steps: Step[] }> {
  const text = await readFile(join(dir, file), 'utf8');
  const doc = parse(text) as Workflow;
  return { text, doc, steps: Object.values(doc.jobs).flatMap((j) => j.steps) };
}

describe('GitHub workflows', function () {
  it('has ci.yaml and e2e-kind.yaml', function () {
    expect(files).to.include.members(['ci.yaml', 'e2e-kind.yaml']);
  });

  for (const file of files) {
    it(`${file} validates against the workflow schema`, async function () {
      const { errors } = validateWorkflow((await workflow(file)).text);
      expect(errors, JSON.stringify(errors, null, 2)).to.deep.equal([]);
    });

    it(`${file} pins every action to a commit SHA with a "# vX.Y.Z" comment`, async function () {
      const { text } = await workflow(file);
      const uses = [...text.matchAll(/uses:\s*(\S+)(.*)$/gm)];
      expect(uses.length).to.be.greaterThan(0);
      for (const [, ref, rest] of uses) {
        expect(ref, ref).to.match(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
        expect(rest, ref).to.match(/^\s+# v\d+\.\d+\.\d+$/);
      }
    });
  }

  it('ci.yaml installs prometheus before make bootstrap (which apt-installs it only as root)', async function () {
    const { steps } = await workflow('ci.yaml');
    const runs = steps.map((s) => s.run ?? '');
    const apt = runs.findIndex((r) => /sudo apt-get install .*\bprometheus\b/.test(r));
    const bootstrap = runs.findIndex((r) => /^make (bootstrap|test|kind-up)$/m.test(r));
    expect(apt, 'apt-get install prometheus step').to.be.greaterThan(-1);
    expect(apt).to.be.lessThan(bootstrap);
  });

  it('e2e-kind.yaml installs no Prometheus: the kind targets do not need it', async function () {
    const { text } = await workflow('e2e-kind.yaml');
    expect(text).to.not.match(/apt-get install[^\n]*prometheus/);
  });

  for (const file of files) {
    it(`${file} takes the pinned versions from versions.env, and runs the runner's helm and kubectl (none bundled beside them)`, async function () {
      const { text, steps } = await workflow(file);
      const exported = steps.findIndex((s) => /grep -E '\^\[A-Z\]\[A-Z0-9_\]\*=' versions\.env >> "\$GITHUB_ENV"/.test(s.run ?? ''));
      expect(exported, 'step exporting versions.env').to.be.greaterThan(-1);
      const firstUse = steps.findIndex((s) => JSON.stringify(s).includes('env.') || /\$(KPS|KIND)_/.test(s.run ?? ''));
      if (firstUse >= 0) expect(exported).to.be.lessThan(firstUse);
      expect(text).to.not.match(/88\.5\.3|v0\.32\.0|v1\.36\.\d/);
      expect(text).to.not.include('.tools/bin/');
    });
  }

  // `runs.using` of each pinned commit's action.yml, read from the actions' repositories.
  // GitHub deprecates node20 actions: every action must run on node24 (or be composite).
  const runtimes: Record<string, string> = {
    'actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1': 'node24', // v7.0.1
    'actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f': 'node24', // v7.0.0
    'actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02': 'node20', // v4.6.2
    'actions/upload-artifact@330a01c490aca151604b8cf639adc76d48f6c5d4': 'node20', // v5.0.0
    'helm/kind-action@ef37e7f390d99f746eb8b610417061a60e82a6cc': 'node24', // v1.14.0
    'actions/setup-node@820762786026740c76f36085b0efc47a31fe5020': 'node24', // v7.0.0
    'docker/setup-qemu-action@96fe6ef7f33517b61c61be40b68a1882f3264fb8': 'node24', // v4.2.0
    'docker/setup-buildx-action@37fe631027851001ddb9b187196cc803df7f5f0e': 'node24', // v4.3.0
    'docker/login-action@4907a6ddec9925e35a0a9e82d7399ccc52663121': 'node24', // v4.1.0
    'docker/metadata-action@dc802804100637a589fabce1cb79ff13a1411302': 'node24', // v6.2.0
    'docker/build-push-action@53b7df96c91f9c12dcc8a07bcb9ccacbed38856a': 'node24', // v7.3.0
    'sigstore/cosign-installer@6f9f17788090df1f26f669e9d70d6ae9567deba6': 'composite', // v4.1.2
  };
  for (const file of files) {
    it(`${file} uses only actions that run on node24`, async function () {
      const { text } = await workflow(file);
      for (const [, ref] of text.matchAll(/uses:\s*(\S+)/g)) {
        expect(runtimes[ref!], `${ref}: add its action.yml runs.using to this table`).to.be.a('string');
        expect(runtimes[ref!], ref).to.be.oneOf(['node24', 'composite']);
      }
    });
  }

  it('the validator catches a broken workflow (so a pass means something)', function () {
    const { errors } = validateWorkflow('on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    stepz: []\n');
    expect(errors.length).to.be.greaterThan(0);
  });

  it('ci.yaml runs make lint, then the unit, integration and hardening tiers, on push and pull requests, and retypes no lint command', async function () {
    const { doc, steps } = await workflow('ci.yaml');
    expect(doc.on).to.include.keys('push', 'pull_request');
    const runs = steps.map((s) => s.run ?? '');
    const lint = runs.findIndex((r) => /^make lint$/m.test(r));
    const test = runs.findIndex((r) => /^make test$/m.test(r));
    const integration = runs.findIndex((r) => /^make test-integration$/m.test(r));
    const hardening = runs.findIndex((r) => /\bmake test-hardening$/m.test(r));
    expect(lint, 'make lint step').to.be.greaterThan(-1);
    expect(lint).to.be.lessThan(test);
    expect(test, 'make test step').to.be.lessThan(integration);
    expect(integration, 'make test-integration step').to.be.lessThan(hardening);
    expect(runs.join('\n')).to.not.match(/\b(tsc|biome|helm lint|dclint|dockerfilelint|promtool)\b/);
  });

  it('e2e-kind.yaml runs kind-up, helm test, smoke with the Grafana check, and dumps logs and targets on failure', async function () {
    const { steps } = await workflow('e2e-kind.yaml');
    const runs = steps.map((s) => s.run ?? '');
    const index = (re: RegExp) => runs.findIndex((r) => re.test(r));
    const order = [index(/^make kind-up$/m), index(/helm test redline/), index(/^make smoke GRAFANA=1\b/m)];
    expect(
      order.every((i) => i >= 0),
      String(order),
    ).to.equal(true);
    expect(order).to.deep.equal([...order].sort((a, b) => a - b));
    const dump = steps.find((s) => s.if === 'failure()');
    expect(dump?.run)
      .to.match(/logs/)
      .and.match(/api\/v1\/targets/);
    expect(runs.filter((r) => /^make smoke\b/m.test(r)).every((r) => /GRAFANA=1/.test(r))).to.equal(true);
    // The kind installed in CI is the one kind-config.yaml's node image was released with.
    const kind = steps.find((s) => s.uses?.startsWith('helm/kind-action@'));
    expect(kind?.with).to.deep.include({ version: '${{ env.KIND_VERSION }}', install_only: true });
  });

  it('the kind e2e-kind.yaml installs is one `make kind-tools` accepts, and the release before it is not', async function () {
    // e2e-kind.yaml installs versions.env's KIND_VERSION (checked above).
    const version = versions.KIND_VERSION;
    const [major, minor] = version.replace(/^v/, '').split('.').map(Number);
    const older = `v${major}.${minor! - 1}.0`;
    const checkKind = (printed: string) =>
      withTempDir('redline-kind-', async (dir) => {
        await writeFile(join(dir, 'kind'), `#!/bin/sh\necho "kind ${printed} go1.25.5 linux/amd64"\n`, { mode: 0o755 });
        const path = `${dir}${delimiter}${process.env.PATH}`;
        return run(process.execPath, [join(repoRoot, 'scripts/check-tools.ts'), 'kind'], { env: { ...process.env, PATH: path } }).then(
          ({ stdout, stderr }) => ({ code: 0, out: stdout + stderr }),
          (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
        );
      });
    const current = await checkKind(version);
    expect(current.code, current.out).to.equal(0);
    const old = await checkKind(older);
    expect(old.code).to.not.equal(0);
    expect(old.out).to.include(`kind ${older.slice(1)} is too old`);
  });
});
