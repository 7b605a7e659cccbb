// `make local` as a user runs it: real service, load generator and Prometheus; the RED table
// must show every route with numbers within a minute, and `make smoke-local`, run beside it
// the way a user runs it in a second terminal, passes.
import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { freePort } from '../../scripts/lib/ports.ts';

describe('make local (scripts/local.ts)', function () {
  this.timeout(90_000);

  it('prints the URLs and a per-route RED table with rates, error ratios and p95; make smoke-local passes against it', async () => {
    const [port, prometheusPort, alertmanagerPort, receiverPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const script = fileURLToPath(new URL('../../scripts/local.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      [
        script,
        '--port',
        String(port),
        '--prometheus-port',
        String(prometheusPort),
        '--grafana-port',
        String(await freePort()),
        '--alertmanager-port',
        String(alertmanagerPort),
        '--receiver-port',
        String(receiverPort),
        '--rate',
        '30',
        '--duration',
        '45s',
        '--refresh-seconds',
        '5',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    let tablesSeen: () => void;
    const twoTables = new Promise<void>((resolve) => (tablesSeen = resolve));
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if ((output.match(/req\/s/g) ?? []).length >= 2) tablesSeen();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

    await Promise.race([twoTables, exited]);
    const smoke = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        'make',
        ['--no-print-directory', 'smoke-local', 'HOST=127.0.0.1', `PROMETHEUS_PORT=${prometheusPort}`, 'SMOKE_ARGS=--deadline 25s --json'],
        { cwd: fileURLToPath(new URL('../..', import.meta.url)), timeout: 60_000 },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
    expect(smoke.code, `${smoke.stdout}\n${smoke.stderr}`).to.equal(0);
    const outcome = JSON.parse(smoke.stdout) as { ok: boolean; prometheus: string; checks: { name: string; ok: boolean }[] };
    expect(outcome.ok).to.equal(true);
    expect(outcome.prometheus).to.equal(`http://127.0.0.1:${prometheusPort}`);
    expect(outcome.checks.map((c) => c.name)).to.include.members(['targets up', 'RED queries', 'rule groups']);

    const code = await exited;

    expect(code, output).to.equal(0);
    expect(output).to.include(`service     http://127.0.0.1:${port}`);
    expect(output).to.include(`prometheus  http://127.0.0.1:${prometheusPort}`);
    expect(output).to.match(
      new RegExp(
        `^alertmanager http://127\\.0\\.0\\.1:${alertmanagerPort} +\\(\\d+\\.\\d+\\.\\d+; critical → page, warning → ticket;`,
        'm',
      ),
    );
    expect(output).to.include(`receiver    http://127.0.0.1:${receiverPort}`);
    const tables = output.split(/\n(?=\d{4}-\d\d-\d\dT)/).filter((block) => block.includes('req/s'));
    expect(tables.length, output).to.be.at.least(2);
    const last = tables.at(-1)!;
    for (const route of ['/api/items', '/api/items/:id', '/api/orders', '/api/orders/:id', '/api/checkout']) {
      const row = last.split('\n').find((line) => line.startsWith(`${route} `));
      expect(row, `${route} in\n${last}`).to.match(/^\S+\s+\d+\.\d\d\s+\d+\.\d\d%\s+\d+ ms$/);
    }
    // The alerts line under each table: the chart's rules evaluated, nothing firing at nominal load.
    expect(last).to.match(/^alerts: (none pending or firing|pending [^\n]*)$/m);
    expect(output).to.include('stopping');
  });
});
