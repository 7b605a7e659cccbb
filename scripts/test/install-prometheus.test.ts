// scripts/install-prometheus.sh: which Prometheus it accepts as the default (3.x >= 3.5), what it
// links, and the real installation it left for the other tests.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { binaryVersion, prometheusInstall } from '../lib/prometheus-versions.ts';

const run = promisify(execFile);
const script = resolve(import.meta.dirname, '../install-prometheus.sh');

/** A folder with prometheus and promtool stand-ins that report `version`. */
async function fakeRelease(root: string, name: string, version: string): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  for (const tool of ['prometheus', 'promtool']) {
    await writeFile(join(dir, tool), `#!/bin/sh\necho "${tool}, version ${version} (branch: HEAD, revision: test)"\n`);
    await chmod(join(dir, tool), 0o755);
  }
  return dir;
}

async function install(env: Record<string, string>): Promise<{ code: number; out: string }> {
  return run('bash', [script], { env: { ...process.env, ...env }, timeout: 60_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, out: stdout + stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );
}

describe('scripts/install-prometheus.sh', function () {
  this.timeout(90_000);
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'redline-install-prometheus-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('takes a 3.x >= 3.5 as the default, links it as .tools/bin/prometheus and promtool, and prints the versions', async () => {
    const tools = join(root, 'tools');
    const v3 = await fakeRelease(root, 'v3', '3.14.0');
    const v2 = await fakeRelease(root, 'v2', '2.53.4');
    const { code, out } = await install({ REDLINE_TOOLS_DIR: tools, PROMETHEUS3_DIR: v3, PROMETHEUS2_DIR: v2 });
    expect(code, out).to.equal(0);
    expect(out).to.match(/default 3\.14\.0 .*compatibility 2\.53\.4/);
    expect(await readlink(join(tools, 'prometheus/3/bin/prometheus'))).to.equal(join(v3, 'prometheus'));
    expect(await readlink(join(tools, 'bin/promtool'))).to.equal(join(tools, 'prometheus/3/bin/promtool'));
    expect(binaryVersion(join(tools, 'bin/prometheus'))).to.equal('3.14.0');
  });

  it('refuses a Prometheus older than 3.5 as the default, naming the version it got', async () => {
    const v3 = await fakeRelease(root, 'old', '3.4.2');
    const { code, out } = await install({ REDLINE_TOOLS_DIR: join(root, 'tools'), PROMETHEUS3_DIR: v3, PROMETHEUS2_DIR: v3 });
    expect(code).to.not.equal(0);
    expect(out).to.include('3.4.2').and.include('need >= 3.5');
  });

  it("left a real Prometheus 3 (>= 3.5) and promtool for the tests, the default on the make targets' PATH", async () => {
    const v3 = prometheusInstall(3);
    expect(v3, 'run make bootstrap').to.not.equal(undefined);
    const [major, minor] = v3!.version.split('.').map(Number);
    expect(major).to.equal(3);
    expect(minor).to.be.at.least(5);
    const { stdout } = await run(v3!.promtool, ['--version']);
    expect(stdout).to.match(/promtool, version 3\./);
    const { stdout: onPath } = await run('prometheus', ['--version']);
    expect(onPath).to.include(`version ${v3!.version}`);
  });
});
