// scripts/install-alertmanager.sh: which Alertmanager it accepts (>= ALERTMANAGER_MINIMUM), what it
// links, and the real installation it left for make local, make drill and the tests.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { fakeRelease as fakeReleaseOf, runInstaller } from './support/installer.ts';

const run = promisify(execFile);
const script = resolve(import.meta.dirname, '../install-alertmanager.sh');

const TOOLS = ['alertmanager', 'amtool'];
const fakeRelease = (root: string, version: string) => fakeReleaseOf(root, `alertmanager-${version}`, TOOLS, version);
const install = (env: Record<string, string>) => runInstaller(script, env);

describe('scripts/install-alertmanager.sh', function () {
  this.timeout(90_000);
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'redline-install-alertmanager-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('adopts the release in ALERTMANAGER_DIR (what CI unpacks) and links it from .tools/bin', async function () {
    const release = await fakeRelease(root, '0.34.0');
    const tools = join(root, 'tools');
    const result = await install({ REDLINE_TOOLS_DIR: tools, ALERTMANAGER_DIR: release });
    expect(result.code, result.out).to.equal(0);
    expect(result.out).to.match(/alertmanager: 0\.34\.0 \(/);
    expect(await readlink(join(tools, 'alertmanager', 'bin', 'alertmanager'))).to.equal(join(release, 'alertmanager'));
    expect(await readlink(join(tools, 'bin', 'amtool'))).to.equal(join(tools, 'alertmanager', 'bin', 'amtool'));
  });

  it('refuses an Alertmanager older than the minimum, saying which it got', async function () {
    const release = await fakeRelease(root, '0.24.0');
    const result = await install({ REDLINE_TOOLS_DIR: join(root, 'tools'), ALERTMANAGER_DIR: release });
    expect(result.code).to.not.equal(0);
    expect(result.out).to.match(/got alertmanager, version 0\.24\.0 .*need >= 0\.25\.0/);
  });

  it('left a real alertmanager and amtool (make bootstrap-prometheus) that run', async function () {
    const { stdout } = await run('amtool', ['--version'], { timeout: 10_000 }).catch(() => ({ stdout: '' }));
    const { stderr, stdout: out } = await run('alertmanager', ['--version'], { timeout: 10_000 });
    expect(`${out}${stderr}`).to.match(/alertmanager, version 0\.(2[5-9]|[3-9]\d)\./);
    expect(stdout).to.match(/amtool, version/);
  });
});
