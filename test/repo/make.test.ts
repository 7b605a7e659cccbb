// The Makefile targets of make/kind.mk and make/compose.mk with the real make: `make -n` of
// each succeeds, `make help` documents each, and the tool checks say what to install.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify, stripVTControlCharacters } from 'node:util';
import { repoRoot } from '../../scripts/lib/paths.ts';

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

const shadows: string[] = [];

/**
 * PATH with `tools` taken out, plus a directory of stand-ins first. A directory on PATH that
 * holds one of them (on CI runners docker sits in /usr/bin, beside make and sh) is replaced by
 * a temporary copy made of symlinks to everything else in it.
 */
async function pathWithout(tools: string[], standIns?: string): Promise<string> {
  const dirs: string[] = [];
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    if (!tools.some((t) => existsSync(join(dir, t)))) {
      dirs.push(dir);
      continue;
    }
    const shadow = await mkdtemp(join(tmpdir(), 'redline-path-'));
    shadows.push(shadow);
    for (const entry of await readdir(dir)) {
      if (!tools.includes(entry)) await symlink(join(dir, entry), join(shadow, entry));
    }
    dirs.push(shadow);
  }
  return [standIns, ...dirs].filter(Boolean).join(delimiter);
}

/** Executables that print a version (and succeed), for tools this machine does not have. */
async function standIns(scripts: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'redline-tools-'));
  for (const [name, body] of Object.entries(scripts)) {
    await writeFile(join(dir, name), `#!/bin/sh\n${body}\n`);
    await chmod(join(dir, name), 0o755);
  }
  return dir;
}

describe('make targets for kind and compose', function () {
  this.timeout(60_000);
  const files = ['make/kind.mk', 'make/compose.mk'];
  after(async () => {
    await Promise.all(shadows.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

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
    expect(order.every((i) => i >= 0), `${order}\n${out}`).to.equal(true);
    expect(order).to.deep.equal([...order].sort((a, b) => a - b));
  });

  it('make -n smoke passes PROMETHEUS_URL through as --prometheus-url', async function () {
    const { out } = await make(['-n', 'smoke', 'PROMETHEUS_URL=http://127.0.0.1:9999']);
    expect(out).to.match(/node scripts\/smoke\.ts [^\n]*(\\\n[^\n]*)*--prometheus-url http:\/\/127\.0\.0\.1:9999/);
    expect((await make(['-n', 'smoke'])).out).to.not.match(/--prometheus-url/);
  });

  it('kind-tools says to install kind when it is missing', async function () {
    const { code, out } = await make(['kind-tools'], { PATH: await pathWithout(['kind']) });
    expect(code).to.not.equal(0);
    expect(out).to.match(/check-tools: kind is missing: install kind: https:\/\/kind\.sigs\.k8s\.io\//);
  });

  it('kind-tools names a tool that is too old, and all problems at once', async function () {
    const dir = await standIns({ kind: 'echo "kind v0.20.0 go1.20.4 linux/amd64"', helm: 'echo "v3.10.1+g9f88ccb"' });
    try {
      const { code, out } = await make(['kind-tools'], { PATH: await pathWithout(['kind'], dir) });
      expect(code).to.not.equal(0);
      expect(out).to.match(/kind 0\.20\.0 is too old: need 0\.32\.0 or newer; install kind/);
      // make prepends .tools/bin (a new helm) to PATH, so the old stand-in helm is not the one found.
      expect(out).to.not.match(/helm .*too old/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('kind-tools says when docker is missing, and when its daemon is not running', async function () {
    const missing = await make(['kind-tools'], { PATH: await pathWithout(['docker', 'kind']) });
    expect(missing.out).to.match(/docker is missing: install Docker Engine or Docker Desktop/);
    const dir = await standIns({
      docker: 'case "$1" in --version) echo "Docker version 28.2.2, build e6534b4";; *) echo "Cannot connect to the Docker daemon" >&2; exit 1;; esac',
      kind: 'echo "kind v0.32.0 go1.25.5 linux/amd64"',
    });
    try {
      const stopped = await make(['kind-tools'], { PATH: await pathWithout(['docker', 'kind'], dir) });
      expect(stopped.code).to.not.equal(0);
      expect(stopped.out).to.match(/docker is installed but its daemon is not reachable: start Docker/);
      expect(stopped.out).to.not.match(/kind .*(missing|too old)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('kind-tools passes when docker, kind, kubectl and helm are all there', async function () {
    const dir = await standIns({
      docker: 'case "$1" in --version) echo "Docker version 28.2.2, build e6534b4";; info) echo 28.2.2;; esac',
      kind: 'echo "kind v0.32.0 go1.25.5 linux/amd64"',
    });
    try {
      const { code, out } = await make(['kind-tools'], { PATH: await pathWithout(['docker', 'kind'], dir) });
      expect(code, out).to.equal(0);
      expect(out).to.match(/check-tools: docker, kind, kubectl, helm: ok/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('compose-tools says to install the compose plugin when docker has none', async function () {
    const dir = await standIns({
      docker: 'case "$1" in --version) echo "Docker version 28.2.2";; info) echo 28.2.2;; *) echo "docker: unknown command: docker $1" >&2; exit 1;; esac',
    });
    try {
      const { code, out } = await make(['compose-tools'], { PATH: await pathWithout(['docker'], dir) });
      expect(code).to.not.equal(0);
      expect(out).to.match(/docker compose is missing: install the Docker Compose plugin \(v2\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('kind-down is a no-op without a cluster (idempotent)', async function () {
    const { code, out } = await make(['kind-down'], { PATH: await pathWithout(['kind']) });
    expect(code).to.equal(0);
    expect(out).to.match(/kind-down: no cluster redline/);
  });
});
