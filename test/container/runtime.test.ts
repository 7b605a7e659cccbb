// The service running in its image as production runs it: read-only root with only the
// documented tmpfs, every capability dropped, no-new-privileges, its numeric non-root user.
import { execFile } from 'node:child_process';
import { expect } from 'chai';
import { createNetwork, startContainer, hardenedArgs, type RunningContainer } from './support/container.ts';
import type { BuiltImage } from './support/image.ts';
import { scrape, sumOf } from './support/metrics.ts';
import { podman, uniqueName } from './support/podman.ts';
import { requireImage } from './support/suite.ts';

/** `promtool check metrics` reads the exposition on stdin; resolves to its problems (stdout+stderr). */
function promtoolCheckMetrics(text: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile('promtool', ['check', 'metrics'], (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ code: error ? Number(error.code) : 0, output: stdout + stderr });
    });
    child.stdin?.end(text);
  });
}

describe('container at runtime (read-only root, --cap-drop ALL, no-new-privileges)', function () {
  let image: BuiltImage;
  let network: { name: string; remove(): Promise<void> };
  let service: RunningContainer;

  before(async function () {
    image = await requireImage(this);
    network = await createNetwork();
    // SIM_ERROR_RATE=0: the tests count exact 200s, and list_items fails 1 in 2000 by default.
    service = await startContainer(image.tag, {
      name: uniqueName('redline'),
      network: network.name,
      env: { LOG_LEVEL: 'info', SIM_ERROR_RATE: '0' },
    });
  });

  after(async function () {
    this.timeout(60_000);
    await service?.remove();
    await network?.remove();
  });

  it('runs node as PID 1 under the numeric non-root UID, with no capabilities and no_new_privs', async function () {
    const { stdout } = await service.exec(['sh', '-c', 'tr "\\0" " " </proc/1/cmdline; echo; cat /proc/1/status']);
    const [cmdline = '', ...status] = stdout.split('\n');
    const field = (key: string) =>
      status
        .find((line) => line.startsWith(`${key}:`))
        ?.split(/\s+/)
        .slice(1)
        .join(' ');
    expect(cmdline.trim()).to.equal('node --disable-sigusr1 service/src/main.ts');
    expect(field('Uid')).to.equal('10001 10001 10001 10001');
    expect(field('Gid')).to.equal('10001 10001 10001 10001');
    for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) expect(field(set), set).to.equal('0000000000000000');
    expect(field('NoNewPrivs')).to.equal('1');
  });

  it('has a read-only root filesystem, and /tmp (tmpfs) is the only writable mount outside /dev, /proc, /sys', async function () {
    const mounts = (await service.exec(['cat', '/proc/mounts'])).stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' '));
    const root = mounts.find((m) => m[1] === '/');
    expect(root?.[3]?.split(',')).to.include('ro');
    const writable = mounts
      .filter(([, target = '', , options = '']) => options.split(',').includes('rw') && !/^\/(dev|proc|sys)(\/|$)/.test(target))
      .map(([, target, type]) => `${target} ${type}`);
    expect(writable).to.deep.equal(['/tmp tmpfs']);
    // And the kernel agrees: the service user cannot write to its app, /, or its home; /tmp works.
    const probe = `const fs = require('node:fs'); for (const p of ['/app/x', '/x', '/home/x', '/tmp/x']) {
      try { fs.writeFileSync(p, 'x'); console.log(p, 'ok'); } catch (e) { console.log(p, e.code); } }`;
    const results = (await service.exec(['node', '-e', probe])).stdout.trim().split('\n');
    expect(results).to.deep.equal(['/app/x EROFS', '/x EROFS', '/home/x EROFS', '/tmp/x ok']);
  });

  it('answers /healthz, /readyz and /metrics on the published port', async function () {
    for (const [path, body] of [
      ['/healthz', { status: 'ok' }],
      ['/readyz', { status: 'ready' }],
    ] as const) {
      const response = await fetch(service.url + path);
      expect(response.status, path).to.equal(200);
      expect(await response.json()).to.deep.equal(body);
    }
    const { text, contentType } = await scrape(service.url);
    expect(contentType).to.match(/^text\/plain; version=0\.0\.4/);
    // promtool parses the exposition (exit 1 on a format error) and lints names (exit 3). The
    // only lint it reports is about prom-client's own nodejs_active_*_total gauges, not redline's.
    const check = await promtoolCheckMetrics(text);
    expect(check.code, check.output).to.be.oneOf([0, 3]);
    const problems = check.output.split('\n').filter(Boolean);
    expect(
      problems.filter((line) => !/^nodejs_active_\w+_total non-counter metrics should not have "_total" suffix$/.test(line)),
    ).to.deep.equal([]);
  });

  it('counts API traffic on the published port in the RED metrics (rate, errors, duration by route)', async function () {
    const labels = { method: 'GET', route: '/api/items', status_code: '200' };
    const before = (await scrape(service.url)).samples;
    for (let i = 0; i < 5; i += 1) expect((await fetch(`${service.url}/api/items`)).status).to.equal(200);
    expect((await fetch(`${service.url}/no/such/path`)).status).to.equal(404);
    const after = (await scrape(service.url)).samples;
    const delta = (name: string, l: Record<string, string>) => sumOf(after, name, l) - sumOf(before, name, l);
    expect(delta('http_requests_total', labels)).to.equal(5);
    expect(delta('http_request_duration_seconds_count', labels)).to.equal(5);
    expect(delta('http_request_duration_seconds_bucket', { ...labels, le: '+Inf' })).to.equal(5);
    expect(delta('http_requests_total', { route: 'unmatched', status_code: '404' })).to.equal(1);
    expect(
      after.some((s) => s.name === 'http_request_errors_total' && s.labels.route === '/api/checkout'),
      'error series exist from start-up',
    ).to.equal(true);
    expect(after.some((s) => s.name === 'http_requests_in_flight')).to.equal(true);
    // The probes and the scrape itself are not RED traffic.
    expect(
      after.filter((s) => s.name === 'http_requests_total' && /^\/(metrics|healthz|readyz)$/.test(s.labels.route ?? '')),
    ).to.deep.equal([]);
  });

  it('runs the load generator from the same image against the service by name on a shared network', async function () {
    this.timeout(60_000);
    const before = sumOf((await scrape(service.url)).samples, 'http_requests_total');
    const { stdout } = await podman(
      [
        'run',
        '--rm',
        '--network',
        network.name,
        ...hardenedArgs,
        image.tag,
        'node',
        'service/src/loadgen/main.ts',
        '--target',
        `http://${service.name}:8080`,
        '--rate',
        '20',
        '--duration',
        '5s',
        '--json',
      ],
      { timeoutMs: 50_000 },
    );
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      sent: number;
      failed: number;
      unanswered: number;
      byStatus: Record<string, number>;
    };
    const answered = Object.values(report.byStatus).reduce((a, b) => a + b, 0);
    console.log(
      `      loadgen in a second container: ${JSON.stringify({ sent: report.sent, failed: report.failed, unanswered: report.unanswered, byStatus: report.byStatus })}`,
    );
    expect(report.sent).to.be.within(90, 101);
    expect(report.unanswered).to.equal(0);
    expect(answered).to.equal(report.sent);
    const after = sumOf((await scrape(service.url)).samples, 'http_requests_total');
    expect(after - before).to.equal(report.sent);
  });
});
