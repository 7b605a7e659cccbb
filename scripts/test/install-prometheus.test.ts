// scripts/install-prometheus.sh: which Prometheus it accepts as the default (3.x >= 3.5), what it
// links, and the real installation it left for the other tests.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { binaryVersion, prometheusInstall } from '../lib/prometheus-versions.ts';
import { fakeRelease as fakeReleaseOf, runInstaller } from './support/installer.ts';

const run = promisify(execFile);
const script = resolve(import.meta.dirname, '../install-prometheus.sh');

const TOOLS = ['prometheus', 'promtool'];
const fakeRelease = (root: string, name: string, version: string) => fakeReleaseOf(root, name, TOOLS, version);
const install = (env: Record<string, string>) => runInstaller(script, env);

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
