// `make release-check` for real, the release tier (make test-release): hack/release/check.sh against a real
// registry on 127.0.0.1 (Debian's docker-registry), real podman/buildah builds for linux/amd64
// and linux/arm64 (qemu-user-static), real helm and cosign. Its output is the evidence; this
// asserts on it, then that the registry is gone and nothing of the run is left behind.
import { expect } from 'chai';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../../scripts/lib/paths.ts';

const run = promisify(execFile);
const podman = (args: string[]) => run(join(repoRoot, 'hack/container/podman.sh'), args, { maxBuffer: 16 * 1024 * 1024 });
const podmanInstalled = () => spawnSync('podman', ['--version'], { stdio: 'ignore' }).status === 0;
/** Root with apt-get: hack/release/tools.sh can install podman and the rest. */
const canInstall = () => process.getuid?.() === 0 && spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;

interface CheckRun {
  code: number | null;
  output: string;
  seconds: number;
}

function releaseCheck(): Promise<CheckRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(join(repoRoot, 'hack/release/check.sh'), [], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const take = (chunk: string) => {
      output += chunk;
      process.stderr.write(chunk.replace(/^(?=.)/gm, '      '));
    };
    child.stdout.setEncoding('utf8').on('data', take);
    child.stderr.setEncoding('utf8').on('data', take);
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output, seconds: (performance.now() - started) / 1000 }));
  });
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const line = (output: string, re: RegExp): RegExpMatchArray => {
  const match = output.match(re);
  if (!match) throw new Error(`no line matching ${re} in the release-check output`);
  return match;
};

describe('make release-check (real registry, both platforms, cosign)', function () {
  let check: CheckRun;

  before(async function () {
    // Cold: tools from Debian, the arm64 base under qemu (several minutes); warm: about two.
    this.timeout(45 * 60_000);
    const skip = !podmanInstalled() && !canInstall() ? 'podman is missing and this is not root with apt-get to install it' : '';
    if (skip) {
      const bar = '!'.repeat(100);
      console.warn(`\n${bar}\n!!! RELEASE CHECK SKIPPED: ${skip}. Nothing was built, pushed, signed or verified.\n${bar}\n`);
      this.skip();
    }
    check = await releaseCheck();
  });

  it('exits 0 and says OK', function () {
    expect(check.code, check.output.slice(-3000)).to.equal(0);
    line(check.output, /^release-check: OK: release \d+\.\d+\.\d+\S* checked against 127\.0\.0\.1:\d+/m);
  });

  it('pushes one manifest list with both platforms, by digest, each a config of its own architecture', function () {
    const index = line(check.output, /^release-check:\s+index\s+(sha256:[0-9a-f]{64})$/m)[1];
    const amd64 = line(check.output, /^release-check:\s+linux\/amd64 (sha256:[0-9a-f]{64})$/m)[1];
    const arm64 = line(check.output, /^release-check:\s+linux\/arm64 (sha256:[0-9a-f]{64})$/m)[1];
    expect(new Set([index, amd64, arm64]).size).to.equal(3);
  });

  it('both platforms carry the OCI labels: version, this revision, source, licenses', function () {
    const [, version] = line(
      check.output,
      /^release-check: version (\S+) \(package\.json = Chart\.yaml version = appVersion\), revision ([0-9a-f]{40})$/m,
    );
    const revision = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).stdout.trim();
    line(
      check.output,
      new RegExp(
        `^release-check:   both platforms' configs carry the OCI labels version=${version!.replace(/\./g, '\\.')} revision=${revision.slice(0, 12)} source=\\S+ licenses=Apache-2\\.0$`,
        'm',
      ),
    );
  });

  it('helm template from oci://127.0.0.1:PORT renders the pushed image, which resolves to the pushed index', function () {
    const [, port, version] = line(
      check.output,
      /^release-check: helm template redline oci:\/\/127\.0\.0\.1:(\d+)\/redline\/charts\/redline --version (\S+) --plain-http: OK, (\d+) objects, images: (\S+)$/m,
    );
    const image = line(check.output, /images: (\S+)$/m)[1];
    expect(image).to.equal(`127.0.0.1:${port}/redline/redline:${version}`);
    const index = line(check.output, /^release-check:\s+index\s+(sha256:[0-9a-f]{64})$/m)[1];
    line(
      check.output,
      new RegExp(
        `^release-check: chart image ${image!.replace(/[.]/g, '\\.')} resolves in the registry to ${index} \\(the pushed index\\)$`,
        'm',
      ),
    );
  });

  it('the arm64 image, pulled from the registry, answers /healthz under emulation as arm64', function () {
    const [, arch, health] = line(
      check.output,
      /^release-check: arm64 image under qemu \(node reports (\S+) v24\.[\d.]+\): GET \/healthz -> (.+)$/m,
    );
    expect(arch).to.equal('arm64');
    expect(JSON.parse(health!)).to.be.an('object');
  });

  it('cosign verifies the image, the chart and the CycloneDX attestation with the public key', function () {
    line(check.output, /^release-check: cosign verify image \S+@sha256:[0-9a-f]{64}: Verified OK/m);
    line(check.output, /^release-check: cosign verify image linux\/arm64 \S+@sha256:[0-9a-f]{64}: Verified OK/m);
    line(check.output, /^release-check: cosign verify chart 127\.0\.0\.1:\d+\/redline\/charts\/redline@sha256:[0-9a-f]{64}: Verified OK/m);
    line(check.output, /^release-check: cosign verify-attestation --type cyclonedx \S+: Verified OK/m);
    const [, components] = line(check.output, /attested predicate: https:\/\/cyclonedx\.org\/bom, (\d+) components$/m);
    expect(Number(components)).to.be.greaterThan(5);
  });

  it('verification FAILS for an unsigned (tampered) digest and for another key', function () {
    const [, tampered] = line(check.output, /^release-check: cosign verify tampered \S+@(sha256:[0-9a-f]{64}): FAILED as expected: (.+)$/m);
    const index = line(check.output, /^release-check:\s+index\s+(sha256:[0-9a-f]{64})$/m)[1];
    expect(tampered).to.not.equal(index);
    line(check.output, /^release-check: cosign verify with another public key: FAILED as expected: .+$/m);
  });

  it('leaves nothing behind: registry stopped, temp dir gone, no images or manifests of the run', async function () {
    const port = Number(line(check.output, /^release-check: registry: .* on http:\/\/127\.0\.0\.1:(\d+) /m)[1]);
    const [, pid, dir] = line(
      check.output,
      /^release-check: cleaned up: registry \(pid (\d+)\) stopped, (\S+) removed, 0 podman images left from this run$/m,
    );
    expect(await portAnswers(port), `registry port ${port}`).to.equal(false);
    expect(existsSync(dir!), dir).to.equal(false);
    expect(existsSync(`/proc/${pid}`), `registry pid ${pid}`).to.equal(false);
    const id = dir!.split('.').at(-1)!.toLowerCase();
    const { stdout } = await podman(['images', '--all', '--format', '{{.Repository}}:{{.Tag}}']);
    expect(stdout.split('\n').filter((name) => name.includes(id) || name.startsWith('127.0.0.1:'))).to.deep.equal([]);
    const containers = await podman(['ps', '--all', '--format', '{{.Names}}']);
    expect(containers.stdout).to.not.include(`redline-release-check-${id}`);
  });
});
