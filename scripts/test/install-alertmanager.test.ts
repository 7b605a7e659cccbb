// scripts/install-alertmanager.sh: which Alertmanager it accepts (>= ALERTMANAGER_MINIMUM), what it
// links, and the real installation it left for make local, make drill and the tests.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const script = resolve(import.meta.dirname, '../install-alertmanager.sh');

/** A folder with alertmanager and amtool stand-ins that report `version`. */
async function fakeRelease(root: string, version: string): Promise<string> {
  const dir = join(root, `alertmanager-${version}`);
  await mkdir(dir, { recursive: true });
  for (const tool of ['alertmanager', 'amtool']) {
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
