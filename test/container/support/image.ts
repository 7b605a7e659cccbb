// Builds the image from the committed Dockerfile once per test run, on the (possibly stand-in)
// base image that hack/container/base-image.sh provides.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { podman, repoRoot } from './podman.ts';

/** REDLINE_TEST_IMAGE_TAG keeps parallel runs on one machine from sharing (and deleting) a tag. */
export const imageTag = process.env.REDLINE_TEST_IMAGE_TAG || 'localhost/redline:test';

export interface BuiltImage {
  tag: string;
  buildSeconds: number;
  sizeBytes: number;
  base: { name: string; sizeBytes: number; standIn: boolean; source: string };
  /** A random string that was in the .npmrc build secret; it must be in no layer. */
  secretSentinel: string;
  /** Whether the build got the proxy CA (NODE_EXTRA_CA_CERTS) as the `ca` secret. */
  caSecret: boolean;
}

/** The Dockerfile's runtime base (its last FROM), fully qualified as podman stores it. */
export async function baseImageName(): Promise<string> {
  const dockerfile = await readFile(join(repoRoot, 'Dockerfile'), 'utf8');
  const froms = [...dockerfile.matchAll(/^FROM\s+(\S+)/gim)].map((m) => m[1]!);
  const last = froms.at(-1);
  if (!last) throw new Error('Dockerfile has no FROM');
  return last.includes('/') ? last : `docker.io/library/${last.split('@')[0]}`;
}

/** Runs hack/container/base-image.sh (installs podman & co. when root, builds the base when missing). */
export function ensureBaseImage(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(repoRoot, 'hack/container/base-image.sh'), [], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'pipe'] });
    let log = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      log += chunk;
      process.stderr.write(chunk.replace(/^(?=.)/gm, '      '));
    });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`base-image.sh exited ${code}:\n${log.slice(-3000)}`))));
  });
}

async function build(): Promise<BuiltImage> {
  await ensureBaseImage();
  const baseName = await baseImageName();
  const labels = JSON.parse((await podman(['image', 'inspect', '--format', '{{json .Labels}}', baseName])).stdout) as Record<
    string,
    string
  > | null;
  const baseSize = Number((await podman(['image', 'inspect', '--format', '{{.Size}}', baseName])).stdout.trim());

  const secrets = await mkdtemp(join(tmpdir(), 'redline-build-secrets-'));
  const secretSentinel = `redline-secret-sentinel-${randomBytes(12).toString('hex')}`;
  const npmrc = join(secrets, 'npmrc');
  await writeFile(npmrc, `# ${secretSentinel}\nfund=false\n`, { mode: 0o600 });
  const ca = process.env.NODE_EXTRA_CA_CERTS;
  const caSecret = Boolean(ca && existsSync(ca));
  const previous = (await podman(['image', 'inspect', '--format', '{{.Id}}', imageTag], { allowFailure: true })).stdout.trim();
  const started = performance.now();
  try {
    // --no-cache: the npm ci step really runs with the secrets mounted, and the time is honest.
    // --layers=false: no intermediate stage images pile up in podman's storage run after run.
    await podman(
      [
        'build',
        '--pull=never',
        '--no-cache',
        '--layers=false',
        '--secret',
        `id=npmrc,src=${npmrc}`,
        ...(caSecret ? ['--secret', `id=ca,src=${ca}`] : []),
        '-t',
        imageTag,
        '-f',
        'Dockerfile',
        '.',
      ],
      { timeoutMs: 600_000 },
    );
  } finally {
    await rm(secrets, { recursive: true, force: true });
  }
  const buildSeconds = (performance.now() - started) / 1000;
  // The previous run's image is now untagged: drop it (fails harmlessly if something still uses it).
  const current = (await podman(['image', 'inspect', '--format', '{{.Id}}', imageTag])).stdout.trim();
  if (previous && previous !== current) await podman(['rmi', previous], { allowFailure: true });
  const sizeBytes = Number((await podman(['image', 'inspect', '--format', '{{.Size}}', imageTag])).stdout.trim());
  return {
    tag: imageTag,
    buildSeconds,
    sizeBytes,
    base: {
      name: baseName,
      sizeBytes: baseSize,
      standIn: labels?.['io.redline.stand-in'] === 'true',
      source: labels?.['io.redline.stand-in.source'] ?? 'registry',
    },
    secretSentinel,
    caSecret,
  };
}

let prepared: Promise<BuiltImage> | undefined;

/** The image for this test run, built once however many spec files ask. */
export function prepareImage(): Promise<BuiltImage> {
  prepared ??= build();
  return prepared;
}

export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
