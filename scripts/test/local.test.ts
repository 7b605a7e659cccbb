// `make local` failing loudly: bad arguments and busy ports are refused before anything starts,
// a child that dies takes the stack down with its last log lines, every run keeps its own logs,
// and the table redraws in place only on a terminal.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { LivePanel, windowFillingNote } from '../lib/live-panel.ts';
import { freePort } from '../lib/ports.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const script = join(root, 'scripts/local.ts');

function runLocal(args: string[], timeoutMs = 15_000) {
  const started = Date.now();
  const result = spawnSync(process.execPath, [script, ...args], { cwd: root, encoding: 'utf8', timeout: timeoutMs });
  return { ...result, ms: Date.now() - started };
}

describe('make local: failing loudly (scripts/local.ts)', function () {
  this.timeout(60_000);

  it('--help prints the usage and exits 0', () => {
    const result = runLocal(['--help']);
    expect(result.status).to.equal(0);
    expect(result.stdout).to.match(/^usage: node scripts\/local\.ts/);
    expect(result.stdout).to.include('--rate N');
    expect(result.stderr).to.equal('');
  });

  it('an unknown flag is one message and the usage, no stack trace', () => {
    const result = runLocal(['--bogus']);
    expect(result.status).to.equal(2);
    expect(result.stderr).to.match(/^make local: Unknown option '--bogus'\nusage:/);
    expect(result.stderr).to.not.match(/\n\s+at /);
  });

  const bad: [string, string[], string][] = [
    ['LOAD_RATE=abc', ['--rate=abc'], 'make local: LOAD_RATE (--rate) is "abc": must be a number above 0 and at most 10000'],
    ['LOAD_RATE=-5', ['--rate=-5'], 'make local: LOAD_RATE (--rate) is "-5": must be a number above 0 and at most 10000'],
    ['PORT=abc', ['--port=abc'], 'make local: PORT (--port) is "abc": must be a whole number from 1 to 65535'],
    ['PROMETHEUS_PORT=70000', ['--prometheus-port=70000'], 'make local: PROMETHEUS_PORT (--prometheus-port) is "70000": must be'],
    ['--duration soon', ['--duration=soon'], 'make local: --duration: not a duration: "soon"'],
  ];
  for (const [name, args, message] of bad) {
    it(`refuses ${name} at once, naming the value`, () => {
      const result = runLocal(args);
      expect(result.status).to.equal(2);
      expect(result.stderr).to.include(message);
      expect(result.stdout).to.not.include('service     http');
      // Validation needs no child process: well under the 20 s a start-up wait would take.
      expect(result.ms).to.be.below(5_000);
    });
  }

  it('reports every bad argument at once, each on its own line', () => {
    const result = runLocal(['--rate=abc', '--port=abc']);
    expect(result.stderr.trim().split('\n')).to.deep.equal([
      'make local: PORT (--port) is "abc": must be a whole number from 1 to 65535',
      'make local: LOAD_RATE (--rate) is "abc": must be a number above 0 and at most 10000',
    ]);
  });

  it('make local LOAD_RATE=-5 reaches the same check (make passes --rate=…)', () => {
    const result = spawnSync('make', ['--no-print-directory', 'local', 'LOAD_RATE=-5'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(result.status).to.not.equal(0);
    expect(result.stderr).to.include('make local: LOAD_RATE (--rate) is "-5": must be a number above 0 and at most 10000');
  });

  describe('with the service port taken', () => {
    let blocker: Server;
    let port: number;
    before(async () => {
      blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      port = (blocker.address() as { port: number }).port;
    });
    after(() => blocker.close());

    it('says so in one line naming the port and PORT, before starting anything', async () => {
      const result = runLocal([`--port=${port}`, `--prometheus-port=${await freePort()}`]);
      expect(result.status).to.equal(1);
      expect(result.stderr.trim()).to.equal(
        `make local: port ${port} on 127.0.0.1 is in use: set PORT=<a free port> (another make local running?)`,
      );
      expect(result.stdout).to.equal('');
    });

    it('refuses the same port given twice', () => {
      const result = runLocal(['--port=18999', '--prometheus-port=18999']);
      expect(result.stderr).to.include('PROMETHEUS_PORT (--prometheus-port) and PORT (--port) are both 18999');
    });
  });

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

describe('the live RED panel', () => {
  const sink = (isTTY: boolean) => {
    const written: string[] = [];
    return { written, stream: { isTTY, write: (text: string) => written.push(text) } };
  };

  it('redraws in place on a terminal: up as many lines as it drew, then clears', () => {
    const { written, stream } = sink(true);
    const panel = new LivePanel(stream, true);
    panel.show('a\nb\nc');
    panel.show('d\ne');
    panel.show('f');
    expect(written).to.deep.equal(['a\nb\nc\n', '\x1b[3F\x1b[Jd\ne\n', '\x1b[2F\x1b[Jf\n']);
    panel.release();
    panel.show('g');
    expect(written.at(-1)).to.equal('g\n');
  });

  it('writes plain blocks, without escape codes, when not a terminal', () => {
    const { written, stream } = sink(false);
    const panel = new LivePanel(stream);
    panel.show('a\nb');
    panel.show('c');
    expect(written.join('')).to.equal('\na\nb\n\nc\n');
    expect(written.join('')).to.not.include('\x1b');
  });

  it('says the window is filling until a whole window of data exists', () => {
    expect(windowFillingNote(5_400, 60_000)).to.equal('window filling (5s of 1m): rates read low until it is full');
    expect(windowFillingNote(59_999, 60_000)).to.match(/^window filling \(59s of 1m\)/);
    expect(windowFillingNote(60_000, 60_000)).to.equal(undefined);
    expect(windowFillingNote(10_000, 30_000)).to.match(/\(10s of 30s\)/);
  });
});
