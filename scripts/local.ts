// `make local`: the service, the load generator, a real Prometheus and Alertmanager with the
// project's webhook receiver (plus Grafana when a grafana-server binary is installed) on this
// machine, with a live per-route RED summary and the alerts. `make drill` rehearses an alert
// against it.
// Ctrl-C stops everything.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { parseDuration } from '../service/src/duration.ts';
import { startAlertmanager } from './lib/alertmanager.ts';
import { startPrometheus } from './lib/prometheus-server.ts';
import { alertsLine, formatRedTable, redByRoute } from './lib/red-summary.ts';
import { loadgenEntry, spawnNode, startService } from './lib/service-process.ts';
import { localRuleFiles } from './lib/rules.ts';
import { startWebhookReceiver } from './lib/webhook-receiver.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '8080' },
    'prometheus-port': { type: 'string', default: '9090' },
    'grafana-port': { type: 'string', default: '3000' },
    'alertmanager-port': { type: 'string', default: '9093' },
    'receiver-port': { type: 'string', default: '9095' },
    rate: { type: 'string', default: '20' },
    /** Stop by itself after this long (0: until Ctrl-C); used by the tests. */
    duration: { type: 'string', default: '0' },
    'refresh-seconds': { type: 'string', default: '5' },
  },
});
const host = values.host;
const durationMs = parseDuration(values.duration);
const stateDir = join(root, '.local');
await mkdir(join(stateDir, 'logs'), { recursive: true });

const say = (text: string) => console.log(text);
const cleanups: (() => Promise<unknown>)[] = [];
let stopping = false;
async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    say('\nstopping…');
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
  process.exit(code);
}
process.once('SIGINT', () => void stopAll(0));
process.once('SIGTERM', () => void stopAll(0));

try {
  const logPath = (name: string) => join(stateDir, 'logs', `${name}.log`);
  const serviceLog = createWriteStream(logPath('service'));
  const service = await startService({
    host,
    port: Number(values.port),
    // The admin endpoint is on, with a fresh token that `make drill` reads from .local/.
    env: { LOG_LEVEL: 'info', ADMIN_TOKEN: await adminToken() },
    echo: (line) => serviceLog.write(`${line}\n`),
  });
  cleanups.push(() => service.stop());
  say(`service     ${service.url}   (/metrics, /healthz, /readyz; log: ${logPath('service')})`);

  const alertmanagerTarget = await startAlerting(logPath);

  const ruleFiles = await localRuleFiles(stateDir);
  const prometheus = await startPrometheus({
    alertmanagers: [alertmanagerTarget],
    host,
    port: Number(values['prometheus-port']),
    scrapeInterval: '5s',
    scrapeTargets: [{ jobName: 'redline', targets: [`${host}:${service.port}`], labels: { namespace: 'local' } }],
    ruleFiles,
  });
  cleanups.push(() => prometheus.stop());
  say(
    `prometheus  ${prometheus.url}   (scrapes every 5s; ${ruleFiles.length ? `rules: ${ruleFiles.join(', ')}` : 'no rule file rendered'})`,
  );

  const loadgenLog = createWriteStream(logPath('loadgen'));
  const loadgen = spawnNode(loadgenEntry, ['--target', service.url, '--rate', values.rate, '--duration', '0'], {}, (line) =>
    loadgenLog.write(`${line}\n`),
  );
  cleanups.push(() => loadgen.stop());
  say(`loadgen     ${values.rate} req/s over the API routes`);

  const grafana = await startGrafana(host, Number(values['grafana-port']), prometheus.url);
  if (grafana) cleanups.push(async () => grafana.kill('SIGTERM'));

  const deadline = durationMs > 0 ? Date.now() + durationMs : Number.POSITIVE_INFINITY;
  const refreshMs = Number(values['refresh-seconds']) * 1000;
  say(`\nRED per route over the last minute, every ${refreshMs / 1000}s (Ctrl-C to stop):`);
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(refreshMs, Math.max(deadline - Date.now(), 0))));
    const rows = await redByRoute(prometheus, 'job="redline",namespace="local"').catch((error: Error) => error);
    if (rows instanceof Error) say(`(Prometheus: ${rows.message})`);
    else if (rows.length === 0) say('(waiting for the first scrapes…)');
    else say(`\n${new Date().toISOString()}\n${formatRedTable(rows)}\n${await alertsLine(prometheus, 'local', 'redline')}`);
  }
  await stopAll(0);
} catch (error) {
  console.error(`make local: ${(error as Error).message}`);
  await stopAll(1);
}

/**
 * The project's webhook receiver (its notifications printed and logged) and Alertmanager with
 * scripts/local/alertmanager.yaml pointed at it; returns the host:port Prometheus sends to.
 */
async function startAlerting(logPath: (name: string) => string): Promise<string> {
  const notificationLog = createWriteStream(logPath('notifications'));
  const receiver = await startWebhookReceiver({
    host,
    port: Number(values['receiver-port']),
    print: (text) => {
      say(`\n${text}`);
      notificationLog.write(`${text}\n`);
    },
  });
  cleanups.push(() => receiver.stop());
  const alertmanagerLog = createWriteStream(logPath('alertmanager'));
  const alertmanager = await startAlertmanager({
    host,
    port: Number(values['alertmanager-port']),
    receiverUrl: receiver.url,
    log: (line) => alertmanagerLog.write(`${line}\n`),
  });
  cleanups.push(() => alertmanager.stop());
  say(
    `alertmanager ${alertmanager.url}   (${await alertmanager.version()}; critical → page, warning → ticket; log: ${logPath('alertmanager')})`,
  );
  say(`receiver    ${receiver.url}   (page and ticket webhooks; GET /notifications; log: ${logPath('notifications')})`);
  return `${host}:${alertmanager.port}`;
}

/** A new admin token for this run, kept in .local/admin-token (owner-only) for `make drill`. */
async function adminToken(): Promise<string> {
  const token = randomBytes(24).toString('hex');
  const file = join(stateDir, 'admin-token');
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  await chmod(file, 0o600); // a file left by an earlier run keeps its mode otherwise
  return token;
}

async function startGrafana(bindHost: string, port: number, prometheusUrl: string): Promise<ChildProcess | undefined> {
  const binary = ['grafana-server', '/usr/sbin/grafana-server', '/usr/share/grafana/bin/grafana-server'].find((candidate) =>
    candidate.includes('/') ? existsSync(candidate) : (process.env.PATH ?? '').split(':').some((dir) => existsSync(join(dir, candidate))),
  );
  if (!binary) {
    say('grafana     not installed: install Grafana (its APT repository or a tarball; see README "Quick start"),');
    say('            or use `make compose-up` (Docker) or the kind cluster for dashboards.');
    return undefined;
  }
  const dir = join(stateDir, 'grafana');
  const provisioning = join(dir, 'provisioning');
  await mkdir(join(provisioning, 'datasources'), { recursive: true });
  await mkdir(join(provisioning, 'dashboards'), { recursive: true });
  await writeFile(
    join(provisioning, 'datasources', 'prometheus.yaml'),
    stringify({
      apiVersion: 1,
      datasources: [{ name: 'Prometheus', uid: 'prometheus', type: 'prometheus', access: 'proxy', url: prometheusUrl, isDefault: true }],
    }),
  );
  // The classic dashboard only: this Prometheus scrapes the text format, and the native
  // variant beside it in the chart shares its uid.
  const dashboards = join(dir, 'dashboards');
  await mkdir(dashboards, { recursive: true });
  await copyFile(join(root, 'charts/redline/dashboards/redline.json'), join(dashboards, 'redline.json'));
  await writeFile(
    join(provisioning, 'dashboards', 'redline.yaml'),
    stringify({ apiVersion: 1, providers: [{ name: 'redline', type: 'file', options: { path: dashboards } }] }),
  );
  const homepath = existsSync('/usr/share/grafana') ? '/usr/share/grafana' : join(binary, '../..');
  const child = spawn(binary, [`--homepath=${homepath}`], {
    env: {
      ...process.env,
      GF_SERVER_HTTP_ADDR: bindHost,
      GF_SERVER_HTTP_PORT: String(port),
      GF_PATHS_DATA: join(dir, 'data'),
      GF_PATHS_LOGS: join(dir, 'logs'),
      GF_PATHS_PROVISIONING: provisioning,
      GF_AUTH_ANONYMOUS_ENABLED: 'true',
      GF_AUTH_ANONYMOUS_ORG_ROLE: 'Viewer',
    },
    stdio: 'ignore',
  });
  say(`grafana     http://${bindHost}:${port}   (anonymous viewer; dashboard "redline")`);
  return child;
}
