// `make local` failing loudly: bad arguments and busy ports are refused before anything starts,
// and the live panel redraws in place only on a terminal. The whole stack's behaviour (a child
// that dies, logs per run, the table on a terminal) is in test/integration/local-stack-lifecycle.test.ts.
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { expect } from 'chai';
import { LivePanel, windowFillingNote } from '../lib/live-panel.ts';
import { freePort } from '../lib/ports.ts';
import { root, runLocal } from '../../test/support/local-stack.ts';

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
