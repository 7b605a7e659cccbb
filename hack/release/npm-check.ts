// make release-check's npm half: the metrics package published to a real npm registry on this
// machine (Verdaccio, on 127.0.0.1, its own storage) and installed back from it by a scratch
// app outside the repository, which serves traffic and is scraped by Prometheus 3 with native
// histograms (hack/release/package-consumer.ts). Then the registry stops and its files go.
// Verdaccio 6.8.0 (the newest 6.x that runs on Node 24 here) is installed under .tools/ once.
// Prints its evidence as `release-check: npm: …` lines; exits non-zero naming the failed step.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { freePort } from '../../scripts/lib/ports.ts';
import { prometheusInstall } from '../../scripts/lib/prometheus-versions.ts';
import { waitFor } from '../../scripts/lib/wait.ts';
import { consumerRun, NEWEST_PEERS, packPackage } from './package-consumer.ts';

const run = promisify(execFile);
const VERDACCIO_VERSION = '6.8.0';
const say = (line: string) => console.log(`release-check: npm: ${line}`);

async function verdaccioBinary(): Promise<string> {
  const tools = process.env.REDLINE_TOOLS_DIR || join(repoRoot, '.tools');
  const prefix = join(tools, `verdaccio-${VERDACCIO_VERSION}`);
  const binary = join(prefix, 'node_modules/verdaccio/bin/verdaccio');
  if (!existsSync(binary)) {
    say(`installing verdaccio ${VERDACCIO_VERSION} under ${prefix}`);
    await run(
      'npm',
      ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', `verdaccio@${VERDACCIO_VERSION}`],
      {
        timeout: 300_000,
      },
    );
  }
  return binary;
}

async function main(): Promise<void> {
  const prometheus = prometheusInstall(3);
  if (!prometheus) throw new Error('no Prometheus 3: make bootstrap-prometheus');
  const binary = await verdaccioBinary();
  const work = await mkdtemp(join(tmpdir(), 'redline-npm-check-'));
  const port = await freePort();
  const registry = `http://127.0.0.1:${port}`;
  // Everything but the package comes through Verdaccio from the registry npm is set up with.
  const upstream = (await run('npm', ['config', 'get', 'registry'])).stdout.trim();
  await writeFile(
    join(work, 'config.yaml'),
    stringify({
      storage: join(work, 'storage'),
      auth: { htpasswd: { file: join(work, 'htpasswd'), max_users: 1 } },
      uplinks: { upstream: { url: upstream } },
      packages: {
        '@redline/*': { access: '$all', publish: '$authenticated' },
        '**': { access: '$all', proxy: 'upstream' },
      },
      listen: `127.0.0.1:${port}`,
      log: { type: 'stdout', format: 'pretty', level: 'warn' },
    }),
  );
  let log = '';
  const verdaccio = spawn(process.execPath, [binary, '--config', join(work, 'config.yaml')], {
    cwd: work,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [verdaccio.stdout, verdaccio.stderr]) stream.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
  const exited = new Promise<void>((resolve) => verdaccio.once('exit', () => resolve()));
  try {
    await waitFor('Verdaccio to answer', async () => ((await fetch(`${registry}/-/ping`).catch(() => undefined))?.ok ? true : undefined), {
      timeoutMs: 60_000,
    });
    say(
      `verdaccio ${VERDACCIO_VERSION} on ${registry} (pid ${verdaccio.pid}, storage ${join(work, 'storage')}, uplink: npm's configured registry)`,
    );

    // A user, as `npm adduser` makes one: its token goes in a throwaway .npmrc.
    const user = 'release-check';
    const added = await fetch(`${registry}/-/user/org.couchdb.user:${user}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: user, password: `pw-${process.pid}-${Date.now()}`, type: 'user', roles: [] }),
    });
    const { token } = (await added.json()) as { token?: string };
    if (!added.ok || !token) throw new Error(`adding a user to Verdaccio: HTTP ${added.status}`);
    const npmrc = join(work, '.npmrc');
    await writeFile(npmrc, `//127.0.0.1:${port}/:_authToken=${token}\n`);

    const packed = await packPackage(work);
    await run('npm', ['publish', packed.tarball, '--registry', registry, '--userconfig', npmrc, '--access', 'public', '--loglevel=error'], {
      cwd: work,
      timeout: 120_000,
    });
    const document = (await (await fetch(`${registry}/${packed.name.replace('/', '%2f')}`)).json()) as {
      'dist-tags': Record<string, string>;
      versions: Record<string, { dist: { integrity: string; tarball: string } }>;
    };
    const published = document.versions[packed.version];
    if (published?.dist.integrity !== packed.integrity) {
      throw new Error(
        `the registry holds ${published?.dist.integrity ?? 'nothing'} for ${packed.name}@${packed.version}, the tarball is ${packed.integrity}`,
      );
    }
    say(`published ${packed.name}@${packed.version} (latest: ${document['dist-tags'].latest}), integrity ${packed.integrity}`);

    const evidence = await consumerRun({
      packageSpec: `${packed.name}@${packed.version}`,
      registry,
      peers: NEWEST_PEERS,
      prometheus: { binary: prometheus.prometheus, version: prometheus.version },
      log: (line) => say(line),
    });
    if (!evidence.resolved.startsWith(`${registry}/`))
      throw new Error(`the scratch app installed ${packed.name} from ${evidence.resolved}, not ${registry}`);
    say(
      `installed back from ${evidence.resolved}: ${Object.entries(evidence.installed)
        .map(([name, version]) => `${name}@${version}`)
        .join(' ')}`,
    );
    say(`require('${packed.name}/koa') from CommonJS: ${evidence.requiredExports.length} exports`);
    if (evidence.typeCheck !== 'ok') throw new Error(`a TypeScript user of the package: ${evidence.typeCheck}`);
    say('a strict TypeScript user of the core, node, express and fastify entries type-checks (skipLibCheck off, no koa types)');
    if (
      evidence.nativeCount !== evidence.requests ||
      evidence.classicCount !== evidence.requests ||
      Math.abs(evidence.bucketRatio - 2 ** (1 / 8)) > 1e-9
    ) {
      throw new Error(`Prometheus stored ${JSON.stringify(evidence)}`);
    }
    say(
      `Prometheus ${prometheus.version} scraped the scratch app: native histogram_count ${evidence.nativeCount} of ${evidence.requests} requests, bucket ratio ${evidence.bucketRatio.toFixed(6)} (schema 3), classic _count ${evidence.classicCount}`,
    );
  } catch (error) {
    if (log.trim()) console.error(log.split('\n').slice(-30).join('\n'));
    throw error;
  } finally {
    verdaccio.kill('SIGTERM');
    await exited;
    await rm(work, { recursive: true, force: true });
    say(`cleaned up: verdaccio (pid ${verdaccio.pid}) stopped, ${work} removed`);
  }
}

try {
  await main();
  say('OK');
} catch (error) {
  console.error(`release-check: npm: FAILED: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
