// A PNG of a web page, taken with headless Chromium (Debian's `chromium`, or `google-chrome` as
// on GitHub's runners): the kind e2e job shoots the Grafana dashboard with it. Single-page apps
// get a virtual-time budget to load and draw before the shot.
//   node hack/screenshot.ts --url URL --out FILE.png [--size 1600,1200] [--wait-ms 15000]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const usage = 'usage: node hack/screenshot.ts --url URL --out FILE.png [--size WIDTH,HEIGHT] [--wait-ms MS]';

function browser(): string {
  const found = ['chromium', 'chromium-browser', 'google-chrome'].find(
    (name) => spawnSync(name, ['--version'], { stdio: 'ignore' }).status === 0,
  );
  if (!found) throw new Error('no chromium or google-chrome on PATH (Debian: apt-get install chromium)');
  return found;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      out: { type: 'string' },
      size: { type: 'string', default: '1600,1200' },
      'wait-ms': { type: 'string', default: '15000' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return void console.log(usage);
  if (!values.url || !values.out) throw new Error(`--url and --out are required\n${usage}`);
  if (!/^\d+,\d+$/.test(values.size)) throw new Error(`--size ${values.size}: expected WIDTH,HEIGHT, e.g. 1600,1200`);
  if (!/^\d+$/.test(values['wait-ms'])) throw new Error(`--wait-ms ${values['wait-ms']}: expected milliseconds`);
  const out = resolve(values.out);
  mkdirSync(dirname(out), { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), 'redline-chromium-'));
  try {
    // These flags keep Chromium off the network it calls at start by default.
    execFileSync(
      browser(),
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--hide-scrollbars',
        `--user-data-dir=${profile}`,
        `--window-size=${values.size}`,
        `--virtual-time-budget=${values['wait-ms']}`,
        `--screenshot=${out}`,
        values.url,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 },
    );
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
  console.log(`wrote ${out} (${statSync(out).size} bytes)`);
}

try {
  main();
} catch (error) {
  console.error(`screenshot: ${(error as Error).message}`);
  process.exitCode = 1;
}
