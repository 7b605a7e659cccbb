// Every script a user runs answers --help with its usage (exit 0), and a wrong flag with a
// message and the usage, never a stack trace.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = (script: string, args: string[]) =>
  spawnSync(process.execPath, [script, ...args], { cwd: root, encoding: 'utf8', timeout: 20_000 });
const STACK_FRAME = /\n\s+at .*[(:]/;

const scripts: [string, RegExp][] = [
  ['scripts/local.ts', /^usage: node scripts\/local\.ts/],
  ['scripts/smoke.ts', /^Usage: node scripts\/smoke\.ts/],
  ['scripts/rules.ts', /^usage: node scripts\/rules\.ts/],
  ['scripts/check-tools.ts', /^usage: node scripts\/check-tools\.ts TOOL\.\.\./],
  ['service/src/loadgen/main.ts', /^usage: loadgen --target URL/],
  ['scripts/release/notes.ts', /^usage: node scripts\/release\/notes\.ts X\.Y\.Z/],
  ['scripts/release/version.ts', /^usage: node scripts\/release\/version\.ts/],
];

describe('--help for every user script', function () {
  this.timeout(60_000);
  for (const [script, usage] of scripts) {
    it(`${script} --help prints its usage and exits 0`, () => {
      const result = run(script, ['--help']);
      expect(result.status, result.stderr).to.equal(0);
      expect(result.stdout).to.match(usage);
      expect(result.stderr).to.not.match(STACK_FRAME);
    });
  }

  for (const [script, usage] of scripts.filter(([name]) => name !== 'scripts/release/version.ts')) {
    it(`${script} --no-such-flag fails with a message and the usage, no stack trace`, () => {
      const result = run(script, ['--no-such-flag']);
      expect(result.status).to.not.equal(0);
      expect(result.stderr).to.match(/no-such-flag|unknown/i);
      expect(result.stderr).to.match(new RegExp(usage.source.replace('^', ''), 'm'));
      expect(result.stderr).to.not.match(STACK_FRAME);
    });
  }

  it('check-tools runs as a script on any Node 24 (no import.meta.main, which needs 24.2)', () => {
    const source = readFileSync(new URL('../check-tools.ts', import.meta.url), 'utf8');
    expect(source).to.not.match(/(if \(|&& )import\.meta\.main/);
    const result = run('scripts/check-tools.ts', []);
    expect(result.status).to.equal(2);
    expect(result.stderr).to.match(/^usage: node scripts\/check-tools\.ts/);
  });
});
