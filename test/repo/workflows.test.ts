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

  it('e2e-kind.yaml shoots the Grafana dashboard after the smoke with hack/screenshot.ts, and keeps the picture', async function () {
    const { steps } = await workflow('e2e-kind.yaml');
    const smoke = steps.findIndex((s) => /^make smoke GRAFANA=1\b/m.test(s.run ?? ''));
    const shot = steps.findIndex((s) => /node hack\/screenshot\.ts\b/.test(s.run ?? ''));
    expect(shot, 'screenshot step').to.be.greaterThan(smoke);
    expect(steps[shot]!.run).to.match(/--url "http:\/\/\$user:\$password@127\.0\.0\.1:3000\/d\/redline-red\//);
    const out = /--out "([^"]+)"/.exec(steps[shot]!.run!)?.[1];
    const keep = steps.slice(shot + 1).find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    expect(keep?.with).to.deep.include({ name: 'grafana-dashboard', path: out?.replace('$RUNNER_TEMP', '${{ runner.temp }}') });
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

/** Runs a workflow step's script as GitHub's `shell: bash` does (bash -eo pipefail). */
async function runStep(script: string, env: Record<string, string>): Promise<{ code: number; out: string }> {
  return run('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], { env: { ...process.env, ...env }, timeout: 30_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, out: stdout + stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );
}

/** Executables in a new folder of `parent`. */
async function tools(parent: string, name: string, scripts: Record<string, string>): Promise<string> {
  const { mkdir } = await import('node:fs/promises');
  const folder = join(parent, name);
  await mkdir(folder, { recursive: true });
  for (const [tool, body] of Object.entries(scripts)) await writeFile(join(folder, tool), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return folder;
}

describe('e2e-kind.yaml steps, run here with stand-ins', function () {
  this.timeout(60_000);
  const step = async (name: string) => {
    const found = (await workflow('e2e-kind.yaml')).steps.find((s) => s.name === name);
    expect(found, name).to.not.equal(undefined);
    return found!;
  };
  const nodesVersion = versions.KIND_NODE_IMAGE.replace(/^[^:]*:/, '').replace(/@.*$/, '');

  it("puts the nodes' kubectl ahead of the one kind-action put on PATH, and checks it", async function () {
    await withTempDir('redline-e2e-kubectl-', async (dir) => {
      const kubectlPrinting = (version: string) =>
        `case "$*" in *json*) echo '{"clientVersion":{"gitVersion":"${version}"}}';; *) echo "Client Version: ${version}";; esac`;
      // kind-action's own kubectl, first on PATH through its GITHUB_PATH entry.
      const kindAction = await tools(dir, 'kind-action', { kubectl: kubectlPrinting('v1.30.0') });
      // The release's kubectl, and curl -fsSLO URL fetching it, then its published sha256.
      await writeFile(join(dir, 'kubectl-release'), `#!/bin/sh\n${kubectlPrinting(nodesVersion)}\n`, { mode: 0o755 });
      const curl = await tools(dir, 'curl', {
        curl: `url=$(eval echo "\\\${$#}"); file=\${url##*/}
case "$file" in
  kubectl) cp "${dir}/kubectl-release" kubectl;;
  kubectl.sha256) sha256sum kubectl | cut -d' ' -f1 > kubectl.sha256;;
esac
echo "$url" >> "${dir}/urls"`,
      });
      const githubPath = join(dir, 'github_path');
      const githubEnv = join(dir, 'github_env');
      await writeFile(githubPath, '');
      await writeFile(githubEnv, '');
      const runnerPath = `${kindAction}${delimiter}${curl}${delimiter}${process.env.PATH}`;
      const env = { RUNNER_TEMP: dir, GITHUB_PATH: githubPath, GITHUB_ENV: githubEnv, KIND_NODE_IMAGE: versions.KIND_NODE_IMAGE };

      const install = await runStep((await step('kubectl matching the kind nodes')).run!, { ...env, PATH: runnerPath });
      expect(install.code, install.out).to.equal(0);
      expect(await readFile(join(dir, 'urls'), 'utf8')).to.include(`https://dl.k8s.io/release/${nodesVersion}/bin/linux/amd64/kubectl`);

      // GitHub prepends GITHUB_PATH entries for the next steps, the last one written first.
      const added = (await readFile(githubPath, 'utf8')).trim().split('\n').filter(Boolean).reverse();
      const nextEnv = Object.fromEntries(
        (await readFile(githubEnv, 'utf8'))
          .trim()
          .split('\n')
          .map((line) => line.split('=') as [string, string]),
      );
      const nextPath = [...added, runnerPath].join(delimiter);
      const check = await runStep((await step("kubectl on PATH is the nodes' version")).run!, { ...env, ...nextEnv, PATH: nextPath });
      expect(check.code, check.out).to.equal(0);
      expect(check.out).to.include(`kubectl: ${join(dir, 'kubectl-nodes', 'kubectl')}`);

      // The check fails when kind-action's kubectl still wins (as the old step's /usr/local/bin did).
      const shadowed = await runStep((await step("kubectl on PATH is the nodes' version")).run!, {
        ...env,
        ...nextEnv,
        PATH: runnerPath,
      });
      expect(shadowed.code).to.not.equal(0);
      expect(shadowed.out).to.include(`kubectl on PATH is v1.30.0, not the nodes' ${nodesVersion}`);
    });
  });

  it('on failure collects kind export logs and every pod log (Grafana sidecars included) into the uploaded artifact', async function () {
    await withTempDir('redline-e2e-failure-', async (dir) => {
      const calls = join(dir, 'calls');
      const standIns = await tools(dir, 'bin', {
        kind: `echo "kind $*" >> "${calls}"; [ "$1 $2" = "export logs" ] && mkdir -p "$3" && echo kubelet > "$3/kubelet.log"`,
        kubectl: `echo "kubectl $*" >> "${calls}"
case "$*" in
  *"-n monitoring get pods -o name"*) echo pod/kps-grafana-0; echo pod/prometheus-kps-0;;
  *"-n redline get pods -o name"*) echo pod/redline-abc;;
  *" logs "*"--previous"*) exit 1;;
  *" logs "*) echo "[$4/grafana-sc-dashboard] loaded redline.json";;
  *) echo "$*";;
esac`,
      });
      const collect = await step('Collect failure artifacts');
      expect(collect.if).to.equal('failure()');
      const result = await runStep(collect.run!, {
        RUNNER_TEMP: dir,
        KIND_CLUSTER: 'redline',
        KUBE_CONTEXT: 'kind-redline',
        PATH: `${standIns}${delimiter}${process.env.PATH}`,
      });
      expect(result.code, result.out).to.equal(0);
      const out = join(dir, 'e2e-failure');
      expect(await readFile(join(out, 'kind', 'kubelet.log'), 'utf8')).to.equal('kubelet\n');
      expect((await readFile(calls, 'utf8')).split('\n')).to.include(`kind export logs ${out}/kind --name redline`);
      expect((await readdir(join(out, 'pods'))).sort()).to.deep.equal([
        'monitoring-kps-grafana-0.describe.txt',
        'monitoring-kps-grafana-0.log',
        'monitoring-prometheus-kps-0.describe.txt',
        'monitoring-prometheus-kps-0.log',
        'redline-redline-abc.describe.txt',
        'redline-redline-abc.log',
      ]);
      expect(await readFile(join(out, 'pods', 'monitoring-kps-grafana-0.log'), 'utf8')).to.include('grafana-sc-dashboard');
      expect(await readFile(calls, 'utf8')).to.match(
        /kubectl --context kind-redline -n monitoring logs pod\/kps-grafana-0 --all-containers --prefix\n/,
      );

      const upload = await step('Keep the failure artifacts');
      expect(upload.if).to.equal('failure()');
      expect(upload.uses).to.match(/^actions\/upload-artifact@/);
      expect(upload.with).to.deep.include({ name: 'e2e-failure', path: '${{ runner.temp }}/e2e-failure' });
    });
  });

  it('the job log dump includes Grafana and its sidecars', async function () {
    const dump = await step('Dump pods, logs and Prometheus targets');
    expect(dump.run).to.match(/logs --all-containers [^\n]*-l app\.kubernetes\.io\/name=grafana/);
  });
});
