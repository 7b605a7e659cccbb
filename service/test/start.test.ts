// How the service starts from a user's shell: `npm start` on an old Node, a busy port, a
// mistyped SIM_* variable. Each runs the real entry point as a child process.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { freePort } from '../../scripts/lib/ports.ts';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const root = fileURLToPath(new URL('../..', import.meta.url));
const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  engines: { node: string };
  scripts: Record<string, string>;
};

/** Every `node` on PATH (and the usual system places) older than 24, as the machine has them. */
function oldNodes(): string[] {
  const found = new Set<string>();
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/bin', '/usr/local/bin']) {
    const candidate = `${dir}/node`;
    const result = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
    if (result.status === 0 && Number(/^v(\d+)/.exec(result.stdout)?.[1]) < 24) found.add(candidate);
  }
  return [...found];
}

describe('starting the service', () => {
  it('npm start on an older Node says it needs Node 24 and to run make start', function () {
    const [oldNode] = oldNodes();
    if (!oldNode) this.skip();
    const npm = spawnSync('npm', ['--version'], { encoding: 'utf8', env: { ...process.env, PATH: `${dirname(oldNode)}:/usr/bin:/bin` } });
    if (npm.status !== 0) this.skip();
    // The real npm, with the old Node first on PATH, as on a fresh laptop.
    const result = spawnSync('npm', ['start', '--silent'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, PATH: `${dirname(oldNode)}:/usr/bin:/bin`, PORT: '1' },
      timeout: 30_000,
    });
    expect(result.status).to.not.equal(0);
    expect(result.stderr).to.include('redline: needs Node ≥ 24');
    expect(result.stderr).to.include('Run `make start`');
    expect(result.stderr).to.not.match(/bad option|ERR_UNKNOWN_FILE_EXTENSION|at .*\(node:/);
  });

  it('the preflight passes on this Node and agrees with package.json engines', () => {
    expect(packageJson.engines.node).to.equal('>=24');
    const preflight = readFileSync(new URL('../src/preflight.mjs', import.meta.url), 'utf8');
    expect(preflight).to.match(/MINIMUM_MAJOR = 24;/);
    expect(packageJson.scripts.start).to.match(/^node service\/src\/preflight\.mjs && node --disable-sigusr1 service\/src\/main\.ts$/);
    execFileSync(process.execPath, [fileURLToPath(new URL('../src/preflight.mjs', import.meta.url))]);
  });

  describe('on a busy port', () => {
    let blocker: Server;
    let port: number;
    before(async () => {
      blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      port = (blocker.address() as { port: number }).port;
    });
    after(() => blocker.close());

    it('exits with one line naming the address and PORT', () => {
      const result = spawnSync(process.execPath, [main], {
        env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'silent' },
        encoding: 'utf8',
        timeout: 15_000,
      });
      expect(result.status).to.equal(69);
      expect(result.stderr.trim().split('\n')).to.deep.equal([
        `redline: 127.0.0.1:${port} is already in use: stop what listens there or set PORT to another port`,
      ]);
    });

    it('names METRICS_PORT when that is the busy one', async () => {
      const result = spawnSync(process.execPath, [main], {
        env: { ...process.env, HOST: '127.0.0.1', PORT: String(await freePort()), METRICS_PORT: String(port), LOG_LEVEL: 'silent' },
        encoding: 'utf8',
        timeout: 15_000,
      });
      expect(result.status).to.equal(69);
      expect(result.stderr.trim()).to.equal(
        `redline: 127.0.0.1:${port} is already in use: stop what listens there or set METRICS_PORT to another port`,
      );
    });
  });

  it('warns about an unknown SIM_* variable, naming the closest known one', async () => {
    const child = spawn(process.execPath, [main], {
      env: { ...process.env, HOST: '127.0.0.1', PORT: String(await freePort()), SIM_CHEKOUT_MEDIAN_MS: '5' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          output += chunk;
          if (output.includes('"listening"')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`service exited with ${code}: ${output}`)));
      });
    } finally {
      child.kill('SIGKILL');
    }
    const warning = output
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.variable === 'SIM_CHEKOUT_MEDIAN_MS');
    expect(warning).to.include({ level: 'warn', closest: 'SIM_CHECKOUT_MEDIAN_MS' });
    expect(warning?.msg).to.equal('unknown simulation variable SIM_CHEKOUT_MEDIAN_MS is ignored (did you mean SIM_CHECKOUT_MEDIAN_MS?)');
  });
});
