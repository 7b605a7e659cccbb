// `make local` as a user runs it: real service, load generator and Prometheus; the RED table
// must show every route with numbers within a minute.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { freePort } from '../scripts/lib/ports.ts';

describe('make local (scripts/local.ts)', function () {
  this.timeout(90_000);

  it('prints the URLs and a per-route RED table with rates, error ratios and p95', async () => {
    const [port, prometheusPort] = [await freePort(), await freePort()];
    const script = fileURLToPath(new URL('../scripts/local.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      [script, '--port', String(port), '--prometheus-port', String(prometheusPort), '--grafana-port', String(await freePort()), '--rate', '30', '--duration', '30s', '--refresh-seconds', '5'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));

    expect(code, output).to.equal(0);
    expect(output).to.include(`service     http://127.0.0.1:${port}`);
    expect(output).to.include(`prometheus  http://127.0.0.1:${prometheusPort}`);
    const tables = output.split(/\n(?=\d{4}-\d\d-\d\dT)/).filter((block) => block.includes('req/s'));
    expect(tables.length, output).to.be.at.least(2);
    const last = tables.at(-1)!;
    for (const route of ['/api/items', '/api/items/:id', '/api/orders', '/api/orders/:id', '/api/checkout']) {
      const row = last.split('\n').find((line) => line.startsWith(`${route} `));
      expect(row, `${route} in\n${last}`).to.match(/^\S+\s+\d+\.\d\d\s+\d+\.\d\d%\s+\d+ ms$/);
    }
    expect(output).to.include('stopping');
  });
});
