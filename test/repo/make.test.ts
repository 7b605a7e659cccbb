// The Makefile targets of make/kind.mk and make/compose.mk with the real make: `make -n` of
// each succeeds, `make help` documents each, and the tool checks say what to install.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify, stripVTControlCharacters } from 'node:util';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { cleanShims, nodeScript, pathWithout, platformScripts, standIns, tempDir } from '../support/shims.ts';

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
