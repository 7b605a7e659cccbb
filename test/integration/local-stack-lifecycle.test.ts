// `make local`'s lifecycle with the real stack (service, load generator, Prometheus): a child
// that dies takes the stack down with its last log lines, every run keeps its own logs, and on
// a terminal the table redraws in place, marked "window filling".
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { freePort } from '../../scripts/lib/ports.ts';
import { localScript as script, root, runLocal } from '../support/local-stack.ts';

describe('make local: a child exiting', function () {
  this.timeout(60_000);

  it('stops everything when a child exits, printing its last log lines; each run logs in its own folder', async () => {
    const [servicePort, prometheusPort] = [await freePort(), await freePort()];
    const child = spawn(
      process.execPath,
      [script, `--port=${servicePort}`, `--prometheus-port=${prometheusPort}`, `--grafana-port=${await freePort()}`, '--duration=50s'],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const deadline = Date.now() + 30_000;
    while (!stdout.includes('loadgen     ') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(stdout, stderr).to.include('loadgen     20 req/s');

    // The children of this run, found by parent (pgrep -P): kill the service behind its back.
    const children = execFileSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map(Number);
    const commandOf = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    const service = children.find((pid) => commandOf(pid).includes('service/src/main.ts'));
    const others = children.filter((pid) => pid !== service);
    expect(service, children.map(commandOf).join('\n')).to.be.a('number');
    expect(others.length).to.be.at.least(2); // Prometheus and the load generator
    process.kill(service!, 'SIGKILL');

    expect(await exited).to.equal(1);
    expect(stderr).to.match(
      /make local: the service exited \(SIGKILL\) on its own; stopping the rest\. Its last lines \(.*service\.log\):/,
    );
    expect(stderr).to.include('"msg":"listening"');
    expect(stdout).to.include('stopping');
    // Not a terminal: plain lines, no escape codes.
    expect(stdout).to.not.include('\x1b');
    for (const pid of others) expect(existsSync(`/proc/${pid}`), `child ${pid} (${pid}) still running`).to.equal(false);

    const logsLine = /^logs {8}(\S+)\/$/m.exec(stdout);
    expect(logsLine, stdout).to.not.equal(null);
    const runDir = join(root, logsLine![1]!);
    expect(runDir).to.match(/\.local\/logs\/\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z(-\d+)?$/);
    expect(readFileSync(join(runDir, 'service.log'), 'utf8')).to.include('"msg":"listening"');
    expect(readFileSync(join(runDir, 'prometheus.log'), 'utf8')).to.match(/Server is ready to receive web requests/);
    expect(existsSync(join(runDir, 'loadgen.log'))).to.equal(true);

    // A second run never writes into the first one's folder.
    const second = runLocal([`--port=${await freePort()}`, `--prometheus-port=${await freePort()}`, '--duration=1s'], 60_000);
    expect(second.status, second.stderr).to.equal(0);
    const secondDir = join(root, /^logs {8}(\S+)\/$/m.exec(second.stdout)![1]!);
    expect(secondDir).to.not.equal(runDir);
    expect(readFileSync(join(runDir, 'service.log'), 'utf8')).to.include('"msg":"listening"');
  });
});

describe('make local on a terminal', function () {
  this.timeout(60_000);

  it('redraws the table in place (util-linux script gives it a terminal), marked "window filling"', async function () {
    if (spawnSync('script', ['--version'], { stdio: 'ignore' }).status !== 0) this.skip();
    const command = [
      process.execPath,
      script,
      `--port=${await freePort()}`,
      `--prometheus-port=${await freePort()}`,
      `--grafana-port=${await freePort()}`,
      '--duration=12s',
      '--refresh-seconds=5',
    ].join(' ');
    const result = spawnSync('script', ['-qec', command, '/dev/null'], { cwd: root, encoding: 'utf8', timeout: 50_000 });
    expect(result.status, result.stdout).to.equal(0);
    const esc = String.fromCharCode(27);
    const blocks = result.stdout.split(new RegExp(`${esc}\\[\\d+F${esc}\\[J`));
    // The first block is drawn, the next two each replace the one before (cursor up, clear).
    expect(blocks.length, JSON.stringify(result.stdout)).to.be.at.least(3);
    for (const block of blocks.slice(1)) expect(block).to.match(/^\d{4}-\d\d-\d\dT\S+ {2}window filling \(\d+s of 1m\)/);
  });
});
