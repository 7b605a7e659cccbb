// The metrics package as a consumer gets it: a scratch app outside the repository installs
// @redline/red-metrics (a packed tarball, or a version from a registry), requires it from
// CommonJS, serves traffic with Koa, and a real Prometheus 3 scrapes it with native histograms
// on. Used by the integration test (the tarball, oldest and newest Koa claimed) and by
// `make release-check` (the version published to a local registry).
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { nativeHistogramScrape, startPrometheus } from '../../scripts/lib/prometheus-server.ts';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { waitFor } from '../../scripts/lib/wait.ts';

const run = promisify(execFile);

/** The peer versions a scratch app installs: the ends of the ranges package.json claims. */
export interface PeerPins {
  koa: string;
  router: string;
  promClient: string;
}

export const OLDEST_PEERS: PeerPins = { koa: '2.16.0', router: '13.1.1', promClient: '15.1.3' };
export const NEWEST_PEERS: PeerPins = { koa: '3.3.0', router: '15.7.0', promClient: '15.1.3' };

export interface ConsumerOptions {
  /** What `npm install` gets: a tarball path, or `@redline/red-metrics@<version>` with `registry`. */
  packageSpec: string;
  peers: PeerPins;
  /** The registry to install from (the package and everything else); the user's when unset. */
  registry?: string;
  /** Prometheus 3's binary and version. */
  prometheus: { binary: string; version: string };
  log?: (line: string) => void;
}

export interface ConsumerEvidence {
  /** Versions npm resolved in the scratch app. */
  installed: Record<string, string>;
  /** Where npm took the package from (the registry's tarball URL, or the local tarball). */
  resolved: string;
  /** What `require('@redline/red-metrics/koa')` returned, from a .cjs file. */
  requiredExports: string[];
  /** tsc's verdict on a TypeScript user of the framework-free entry points (strict, skipLibCheck off, no koa types). */
  typeCheck: string;
  requests: number;
  /** histogram_count over the native series, as Prometheus stored it. */
  nativeCount: number;
  /** The ratio of neighbouring native bucket boundaries: 2^(1/8) for schema 3. */
  bucketRatio: number;
  classicCount: number;
  appDir: string;
}

const SERVER = `// A user's Koa app: RED metrics and /metrics from the installed package.
import Router from '@koa/router';
import Koa from 'koa';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { metricsEndpoint, RedMetrics, redMiddleware } from '@redline/red-metrics/koa';

const registry = new Registry();
collectDefaultMetrics({ register: registry });
const metrics = new RedMetrics(registry, { nativeHistograms: true });
const router = new Router();
router.get('/hello/:name', (ctx) => {
  ctx.body = 'hello ' + ctx.params.name;
});
const app = new Koa();
app.use(metricsEndpoint(registry));
app.use(redMiddleware(metrics, { routers: [router] }));
app.use(router.routes()).use(router.allowedMethods());
const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening on ' + server.address().port));
process.once('SIGTERM', () => server.close());
`;

const TYPED_USER = `// A TypeScript user of the entry points that need no web framework's types.
import { createServer } from 'node:http';
import { Registry } from 'prom-client';
import { negotiateFormat, type ExpositionFormat } from '@redline/red-metrics';
import { metricsHandler, RedMetrics, recordRequest } from '@redline/red-metrics/node';
import { redMiddleware } from '@redline/red-metrics/express';
import { redHooks } from '@redline/red-metrics/fastify';

const registry = new Registry();
const metrics = new RedMetrics(registry, { nativeHistograms: { bucketLimit: 100 } });
const serve = metricsHandler(registry);
const format: ExpositionFormat = negotiateFormat('text/plain');
createServer((req, res) => {
  const recording = recordRequest(metrics, req, res, { routeOf: () => '/' });
  void serve(req, res).then(() => recording.handlerReturned());
}).listen(0);
export { format, redHooks, redMiddleware };
`;

const TSCONFIG = {
  compilerOptions: { module: 'nodenext', target: 'es2023', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] },
  files: ['typed-user.ts'],
};

const REQUIRE = `// A CommonJS consumer: require() of the ESM package (Node >= 20.19 and 22.12 load it synchronously).
const red = require('@redline/red-metrics/koa');
const core = require('@redline/red-metrics');
if (red.RedMetrics !== core.RedMetrics) throw new Error('the koa entry re-exports another RedMetrics');
console.log(JSON.stringify(Object.keys(red).sort()));
`;

/** Installs the scratch app in a new folder under the system's temp dir (outside the repository). */
export async function installScratchApp(options: ConsumerOptions): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'red-metrics-consumer-'));
  if (dir.startsWith(repoRoot)) throw new Error(`${dir} is inside the repository`);
  await writeFile(join(dir, 'package.json'), `${JSON.stringify({ name: 'scratch-consumer', private: true, type: 'module' }, null, 2)}\n`);
  await writeFile(join(dir, 'server.js'), SERVER);
  await writeFile(join(dir, 'require.cjs'), REQUIRE);
  await writeFile(join(dir, 'typed-user.ts'), TYPED_USER);
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
  const { koa, router, promClient } = options.peers;
  // resolved URLs in the lock even where the user's npmrc omits them: they tell where the package came from.
  const registry = options.registry
    ? ['--registry', options.registry, '--cache', join(dir, '.npm-cache'), '--omit-lockfile-registry-resolved=false']
    : [];
  await run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      ...registry,
      options.packageSpec,
      `koa@${koa}`,
      `@koa/router@${router}`,
      `prom-client@${promClient}`,
      '@types/node@24',
    ],
    { cwd: dir, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 },
  );
  return dir;
}

async function resolvedFrom(dir: string): Promise<string> {
  const lock = JSON.parse(await readFile(join(dir, 'node_modules/.package-lock.json'), 'utf8')) as {
    packages: Record<string, { resolved?: string }>;
  };
  return lock.packages['node_modules/@redline/red-metrics']?.resolved ?? '(unknown)';
}

async function installedVersions(dir: string): Promise<Record<string, string>> {
  const versions: Record<string, string> = {};
  for (const name of ['@redline/red-metrics', 'koa', '@koa/router', 'prom-client', 'protobufjs']) {
    const manifest = JSON.parse(await readFile(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as { version: string };
    versions[name] = manifest.version;
  }
  return versions;
}

async function queryResult(url: string, expr: string) {
  const response = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
  const body = (await response.json()) as {
    data: { result: { value?: [number, string]; histogram?: [number, { count: string; buckets?: [number, string, string, string][] }] }[] };
  };
  return body.data.result;
}

/** Serves traffic from the scratch app, has Prometheus 3 scrape it, and returns what it stored. */
export async function checkConsumer(dir: string, options: ConsumerOptions): Promise<ConsumerEvidence> {
  const log = options.log ?? (() => undefined);
  const installed = await installedVersions(dir);
  const resolved = await resolvedFrom(dir);
  const required = await run(process.execPath, ['require.cjs'], { cwd: dir });
  const requiredExports = JSON.parse(required.stdout) as string[];
  // The repository's tsc (TypeScript 7) over the scratch app's own node_modules.
  const typeCheck = await run(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
    cwd: dir,
  }).then(
    () => 'ok',
    (error: { stdout?: string; message: string }) => `failed: ${error.stdout || error.message}`,
  );

  const app = spawn(process.execPath, ['server.js'], { cwd: dir, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  app.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  app.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<void>((resolve) => app.once('exit', () => resolve()));
  const scrape = nativeHistogramScrape(options.prometheus.version);
  let prometheus: Awaited<ReturnType<typeof startPrometheus>> | undefined;
  try {
    const port = await waitFor('the scratch app to listen', async () => /listening on (\d+)/.exec(output)?.[1], { timeoutMs: 20_000 });
    const url = `http://127.0.0.1:${port}`;
    log(`scratch app (${dir}) listening on ${url}`);
    prometheus = await startPrometheus({
      binary: options.prometheus.binary,
      enableFeatures: scrape.enableFeatures,
      scrapeInterval: '1s',
      scrapeTargets: [{ jobName: 'consumer', targets: [`127.0.0.1:${port}`], ...scrape.target }],
    });
    const requests = 120;
    for (let i = 0; i < requests; i += 1) {
      const response = await fetch(`${url}/hello/user${i % 7}`);
      if (response.status !== 200) throw new Error(`GET /hello/user${i % 7}: ${response.status}`);
      await response.arrayBuffer();
    }
    const series = 'http_request_duration_seconds{job="consumer",route="/hello/:name",status_code="200"}';
    const nativeCount = await waitFor(
      'Prometheus to store every request in the native histogram',
      async () => {
        const [sample] = await queryResult(prometheus!.url, `histogram_count(${series})`);
        const count = Number(sample?.value?.[1]);
        return count === requests ? count : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    const [native] = await queryResult(prometheus.url, series);
    const bucket = native?.histogram?.[1].buckets?.find(([, , , count]) => Number(count) > 0);
    if (!bucket) throw new Error(`no native histogram stored for ${series}: ${JSON.stringify(native)}`);
    const bucketRatio = Number(bucket[2]) / Number(bucket[1]);
    const [classic] = await queryResult(
      prometheus.url,
      'http_request_duration_seconds_count{job="consumer",route="/hello/:name",status_code="200"}',
    );
    return {
      installed,
      resolved,
      requiredExports,
      typeCheck,
      requests,
      nativeCount,
      bucketRatio,
      classicCount: Number(classic?.value?.[1]),
      appDir: dir,
    };
  } finally {
    await prometheus?.stop();
    app.kill('SIGTERM');
    await exited;
  }
}

/** Installs, checks and removes one scratch app. */
export async function consumerRun(options: ConsumerOptions): Promise<ConsumerEvidence> {
  const dir = await installScratchApp(options);
  try {
    return await checkConsumer(dir, options);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Packs the package (its prepack builds dist/) into `destination`; returns the tarball's path and integrity. */
export async function packPackage(destination: string): Promise<{ tarball: string; integrity: string; name: string; version: string }> {
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', destination], {
    cwd: join(repoRoot, 'packages/red-metrics'),
    maxBuffer: 16 * 1024 * 1024,
  });
  const [packed] = JSON.parse(stdout) as { filename: string; integrity: string; name: string; version: string }[];
  return { tarball: join(destination, packed!.filename), integrity: packed!.integrity, name: packed!.name, version: packed!.version };
}
