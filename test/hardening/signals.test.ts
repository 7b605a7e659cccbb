// Signals on the real service process: repeated signals during a drain, SIGHUP, SIGINT's quick
// exit, and Node's SIGUSR1 debugger, which the image's command and the chart turn off.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { helmTemplate } from '../../scripts/lib/helm.ts';
import { freePort } from '../../scripts/lib/ports.ts';
import { waitFor } from '../../scripts/lib/wait.ts';
import { get, spec, type PodTemplate } from '../support/chart/manifests.ts';
import { startService, type RunningService } from '../../scripts/lib/service-process.ts';
import { send } from '../support/raw-http.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SLOW = { SIM_ERROR_RATE: '0', SIM_LIST_ITEMS_MEDIAN_MS: '1500', SIM_LIST_ITEMS_P99_MS: '1500' };

function exitOf(service: RunningService): Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }> {
  return new Promise((resolve) => service.process.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() })));
}

/** The image's CMD, as the Dockerfile declares it (exec form). */
function imageCommand(): string[] {
  const cmd = /^CMD\s+(\[.*\])\s*$/m.exec(readFileSync(`${ROOT}/Dockerfile`, 'utf8'))?.[1];
  if (!cmd) throw new Error('no exec-form CMD in the Dockerfile');
  return JSON.parse(cmd) as string[];
}

/** Starts `node <args>` as the service, sends SIGUSR1 once it is ready, returns what it printed. */
async function afterSigusr1(args: string[], env: Record<string, string> = {}) {
  const port = await freePort();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk));
  try {
    await waitFor('the service', async () =>
      (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.ok ? true : undefined,
    );
    child.kill('SIGUSR1');
    await sleep(1_000);
    const alive = child.exitCode === null && child.signalCode === null;
    return { output, alive };
  } finally {
    child.kill('SIGKILL');
  }
}

describe('hardening: signals (real process)', function () {
  this.timeout(30_000);

  it('a second SIGTERM and a SIGINT during the drain are logged and do not cut in-flight requests', async () => {
    const service = await startService({ env: { ...SLOW, SHUTDOWN_DELAY_MS: '0' } });
    const slow = send(service.url, { path: '/api/items' });
    await sleep(200);
    const exited = exitOf(service);
    service.process.kill('SIGTERM');
    await sleep(200);
    service.process.kill('SIGTERM');
    await sleep(100);
    service.process.kill('SIGINT');
    expect((await slow).status).to.equal(200);
    const { code, signal } = await exited;
    expect({ code, signal }).to.deep.equal({ code: 0, signal: null });
    const ignored = service.output.filter((line) => line.includes('already shutting down; signal ignored'));
    expect(ignored.map((line) => JSON.parse(line).signal)).to.deep.equal(['SIGTERM', 'SIGINT']);
  });

  it('SIGHUP drains like SIGTERM: readiness 503 during the delay, in-flight requests finish, exit 0', async () => {
    const service = await startService({ env: { ...SLOW, SHUTDOWN_DELAY_MS: '500' } });
    const slow = send(service.url, { path: '/api/items' });
    await sleep(200);
    const exited = exitOf(service);
    service.process.kill('SIGHUP');
    await sleep(100);
    expect((await send(service.url, { path: '/readyz' })).status).to.equal(503);
    expect((await slow).status).to.equal(200);
    expect((await exited).code).to.equal(0);
  });

  it('SIGINT (Ctrl-C) skips the readiness delay and exits at once when idle', async () => {
    const service = await startService({ env: { SHUTDOWN_DELAY_MS: '5000' } });
    const exited = exitOf(service);
    const signalled = performance.now();
    service.process.kill('SIGINT');
    const { code, at } = await exited;
    expect(code).to.equal(0);
    expect(at - signalled).to.be.below(1_500);
  });

  describe("Node's SIGUSR1 debugger", () => {
    it('is off with the image command: SIGUSR1 neither opens an inspector nor kills the process', async () => {
      const [program, ...args] = imageCommand();
      expect(program).to.equal('node');
      expect(args).to.include('--disable-sigusr1');
      // The inspector would listen on a random port, were it started.
      const { output, alive } = await afterSigusr1(args, { NODE_OPTIONS: '--inspect-port=0' });
      expect(output).not.to.include('Debugger listening');
      expect(alive).to.equal(true);
    });

    it('is off under the chart, whatever command runs the image (NODE_OPTIONS)', async () => {
      const manifests = await helmTemplate();
      const pod = spec<{ template: PodTemplate }>(get(manifests, 'Deployment')).template.spec;
      const env = Object.fromEntries((pod.containers[0]!.env ?? []).map((e) => [e.name, String(e.value ?? '')]));
      expect(env.NODE_OPTIONS).to.include('--disable-sigusr1');
      const { output, alive } = await afterSigusr1(['service/src/main.ts'], { NODE_OPTIONS: `${env.NODE_OPTIONS} --inspect-port=0` });
      expect(output).not.to.include('Debugger listening');
      expect(alive).to.equal(true);
    });

    it('would open an inspector without the flag (the check above can fail)', async () => {
      const { output } = await afterSigusr1(['service/src/main.ts'], { NODE_OPTIONS: '--inspect-port=0' });
      expect(output).to.include('Debugger listening');
    });
  });
});
