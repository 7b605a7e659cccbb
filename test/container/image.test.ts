// The image built by podman from the committed Dockerfile: its configuration, its contents,
// and that build secrets stay out of it.
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { hardenedArgs } from './support/container.ts';
import { mib, type BuiltImage } from './support/image.ts';
import { podman, repoRoot } from './support/podman.ts';
import { requireImage } from './support/suite.ts';

/** Which of `needles` occur anywhere in the file (streamed, so a large archive is fine). */
async function fileContains(file: string, needles: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  const overlap = Math.max(...needles.map((n) => n.length));
  let tail = Buffer.alloc(0);
  for await (const chunk of createReadStream(file, { highWaterMark: 4 * 1024 * 1024 })) {
    const window = Buffer.concat([tail, chunk as Buffer]);
    for (const needle of needles) if (window.includes(needle)) found.add(needle);
    tail = window.subarray(Math.max(window.length - overlap, 0));
  }
  return found;
}

describe('container image (podman build of the committed Dockerfile)', function () {
  let image: BuiltImage;
  const inImage = async (script: string) =>
    (await podman(['run', '--rm', ...hardenedArgs, '--entrypoint', 'sh', image.tag, '-c', script])).stdout;

  before(async function () {
    image = await requireImage(this);
    const base = image.base.standIn
      ? `STAND-IN base ${image.base.name} (${image.base.source}; no image registry reachable here)`
      : `base ${image.base.name} from a registry`;
    console.log(
      `      built ${image.tag} in ${image.buildSeconds.toFixed(1)} s (no cache): ${mib(image.sizeBytes)}, on ${base}, ${mib(image.base.sizeBytes)}`,
    );
  });

  it('adds only the app on top of the base image (production dependencies, no dev tooling)', function () {
    const added = image.sizeBytes - image.base.sizeBytes;
    console.log(`      app layers: ${mib(added)}`);
    // prod deps + sources are ~20 MiB; the dev dependencies alone (tsc, helm layer, …) are hundreds.
    expect(added)
      .to.be.greaterThan(1024 * 1024)
      .and.lessThan(60 * 1024 * 1024);
  });

  it('is configured as production runs it: numeric non-root user, port 8080, production env, node as the command, no HEALTHCHECK', async function () {
    const config = JSON.parse((await podman(['image', 'inspect', '--format', '{{json .Config}}', image.tag])).stdout) as {
      User: string;
      ExposedPorts: Record<string, unknown>;
      Env: string[];
      Cmd: string[];
      Healthcheck?: unknown;
      WorkingDir: string;
    };
    expect(config.User).to.match(/^[1-9]\d*(:\d+)?$/, 'USER must be numeric (runAsNonRoot checks it) and not 0');
    expect(config.User.split(':')[1] ?? '').to.not.equal('0', 'group must not be root');
    expect(Object.keys(config.ExposedPorts)).to.deep.equal(['8080/tcp']);
    expect(config.Env).to.include.members(['NODE_ENV=production', 'PORT=8080', 'HOST=0.0.0.0']);
    expect(config.Cmd).to.deep.equal(['node', '--disable-sigusr1', 'service/src/main.ts']);
    expect(config.Healthcheck ?? null).to.equal(null);
    expect(config.WorkingDir).to.equal('/app');
  });

  it('runs the same Node.js version as the tests here (the FROM tag and bootstrap pin agree)', async function () {
    const version = (await inImage('node --version')).trim();
    expect(version).to.equal(process.version);
  });

  it('holds the service sources and production dependencies only, not writable by the service user', async function () {
    const out = await inImage(
      'ls -A /app; echo ---; ls /app/node_modules; echo ---; find /app -writable | head -5; echo ---; find / -xdev -name .npmrc 2>/dev/null | grep -v ^/usr/local/lib/node_modules/npm/ || true',
    );
    const [top, modules, writable, npmrcs] = out.split('---\n').map((part) => part.split('\n').filter(Boolean));
    expect(top).to.deep.equal(['node_modules', 'package.json', 'packages', 'service']);
    expect(modules).to.include.members(['koa', '@koa', '@redline', 'prom-client', 'pino', 'zod']);
    for (const dev of ['mocha', 'chai', 'typescript', 'yaml', 'dockerfilelint', '@aws-cdk']) expect(modules).to.not.include(dev);
    expect(writable, 'files under /app writable by the service user').to.deep.equal([]);
    expect(npmrcs, 'an .npmrc in the image').to.deep.equal([]);
    const tests = await inImage('find /app/service /app/packages -name "*.test.ts" | head -3');
    expect(tests.trim()).to.equal('');
  });

  it('holds the metrics package as built, resolved by name through node_modules', async function () {
    const listing = await inImage('ls -A /app/packages/red-metrics; readlink /app/node_modules/@redline/red-metrics');
    expect(listing.split('\n').filter(Boolean)).to.deep.equal(['dist', 'package.json', '../../packages/red-metrics']);
    const entries = await inImage(
      'cd /app && node --input-type=module -e "const m = await import(\'@redline/red-metrics/koa\'); console.log(typeof m.redMiddleware, typeof m.RedMetrics)"',
    );
    expect(entries.trim()).to.equal('function function');
  });

  it('keeps build secrets (the .npmrc and CA passed with --secret) out of every layer', async function () {
    this.timeout(120_000);
    const dir = await mkdtemp(join(tmpdir(), 'redline-image-save-'));
    try {
      const archive = join(dir, 'image.tar');
      await podman(['save', '--format', 'docker-archive', '--output', archive, image.tag], { timeoutMs: 110_000 });
      // Control: text from the image's package.json must be found, so the scan sees file contents.
      const control = 'The RED method (Rate, Errors, Duration) end to end';
      const found = await fileContains(archive, [image.secretSentinel, control]);
      expect(found.has(control), 'scan control not found: the archive layers were not searched').to.equal(true);
      expect(found.has(image.secretSentinel), 'the .npmrc build secret is baked into a layer').to.equal(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    if (!image.caSecret) console.log('      (no NODE_EXTRA_CA_CERTS here: built without the ca secret)');
  });
});

// Needs no podman, so it runs everywhere.
describe('Dockerfiles lint', function () {
  it('Dockerfile and the Prometheus stand-in pass dockerfilelint (hadolint is not installable here)', async function () {
    const { stdout } = await promisify(execFile)(
      join(repoRoot, 'node_modules/.bin/dockerfilelint'),
      ['-o', 'json', 'Dockerfile', 'hack/container/prometheus.Dockerfile'],
      { cwd: repoRoot },
    ).catch((error: { stdout: string }) => ({ stdout: error.stdout }));
    const report = JSON.parse(stdout) as { totalIssues: number; files: { issues: unknown[] }[] };
    expect(
      report.files.flatMap((f) => f.issues),
      'dockerfilelint issues',
    ).to.deep.equal([]);
    expect(report.files).to.have.length(2);
    expect(report.totalIssues).to.equal(0);
  });
});
