// `make local`: the service, the load generator, a real Prometheus and Alertmanager with the
// project's webhook receiver (plus Grafana when a grafana-server binary is installed) on this
// machine, with a live per-route RED summary and the alerts. `make drill` rehearses an alert
// against it. Ctrl-C stops everything; so does any of them exiting, with its last log lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, rm, symlink, rename, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { parseDuration } from '../service/src/duration.ts';
import { loadOptions } from '../service/src/loadgen/options.ts';
import { LivePanel, windowFillingNote } from './lib/live-panel.ts';
import { portProblem } from './lib/ports.ts';
import { startPrometheus } from './lib/prometheus-server.ts';
import { startAlertmanager } from './lib/alertmanager.ts';
import { alertsLine, formatRedTable, redByRoute } from './lib/red-summary.ts';
import { loadgenEntry, spawnNode, startService } from './lib/service-process.ts';
import { localRuleFiles } from './lib/rules.ts';
import { startWebhookReceiver } from './lib/webhook-receiver.ts';

const USAGE = `usage: node scripts/local.ts [options]      (make local [PORT=…] [PROMETHEUS_PORT=…] [LOAD_RATE=…])

Runs the service, the load generator, a real Prometheus and Alertmanager with a webhook receiver
(and Grafana when a grafana-server binary is installed) on this machine and shows a live
per-route RED table and the alerts. Ctrl-C stops everything; so does any of them exiting,
with its last log lines. \`make drill\` rehearses an alert against it.

  --host ADDR            address all of them listen on (make: HOST; default 127.0.0.1)
  --port N               the service's port (make: PORT; default 8080)
  --prometheus-port N    Prometheus' port (make: PROMETHEUS_PORT; default 9090)
  --grafana-port N       Grafana's port, when installed (make: GRAFANA_PORT; default 3000)
  --alertmanager-port N  Alertmanager's port (make: ALERTMANAGER_PORT; default 9093)
  --receiver-port N      the webhook receiver's port (make: RECEIVER_PORT; default 9095)
  --rate N               requests per second of the load generator (make: LOAD_RATE; default 20)
  --duration D           stop by itself after D, e.g. 45s (default 0: until Ctrl-C)
  --refresh-seconds N    how often the table refreshes (default 5)
  --help                 this text

Logs: .local/logs/<run>/{service,loadgen,prometheus,alertmanager,notifications,grafana}.log, one folder per run;
.local/logs/latest points at the newest.`;

/** The make variable behind each flag, to name what to set. */
const MAKE_VARIABLE: Record<string, string> = {
  host: 'HOST',
  port: 'PORT',
  'prometheus-port': 'PROMETHEUS_PORT',
  'grafana-port': 'GRAFANA_PORT',
  'alertmanager-port': 'ALERTMANAGER_PORT',
  'receiver-port': 'RECEIVER_PORT',
  rate: 'LOAD_RATE',
};
const named = (flag: string) => (MAKE_VARIABLE[flag] ? `${MAKE_VARIABLE[flag]} (--${flag})` : `--${flag}`);

function fail(message: string, code = 2): never {
  console.error(`make local: ${message}`);
  process.exit(code);
}

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = (() => {
  try {
    return parseArgs({
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
        help: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    return fail(`${(error as Error).message}\n${USAGE}`);
  }
})();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

// Every argument is checked before anything starts, and every problem is told at once.
const problems: string[] = [];
const port = (flag: 'port' | 'prometheus-port' | 'grafana-port' | 'alertmanager-port' | 'receiver-port') => {
  const text = values[flag];
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < 1 || value > 65_535) {
    problems.push(`${named(flag)} is ${JSON.stringify(text)}: must be a whole number from 1 to 65535`);
  }
  return value;
};
const servicePort = port('port');
const prometheusPort = port('prometheus-port');
const grafanaPort = port('grafana-port');
const alertmanagerPort = port('alertmanager-port');
const receiverPort = port('receiver-port');
try {
  loadOptions([`--rate=${values.rate}`], {});
} catch (error) {
  problems.push(`${named('rate')} is ${JSON.stringify(values.rate)}: ${(error as Error).message.replace(/^--rate( "[^"]*")?: /, '')}`);
}
let durationMs = 0;
try {
  durationMs = parseDuration(values.duration);
} catch (error) {
  problems.push(`--duration: ${(error as Error).message}`);
}
const refreshMs = Number(values['refresh-seconds']) * 1000;
if (!(refreshMs >= 1000 && refreshMs <= 3_600_000)) {
  problems.push(`--refresh-seconds is ${JSON.stringify(values['refresh-seconds'])}: must be a number from 1 to 3600`);
}
if (values.host.trim() === '') problems.push(`${named('host')} is empty: give an address such as 127.0.0.1`);
if (problems.length > 0) fail(problems.join('\nmake local: '));
const host = values.host;

const grafanaBinary = findGrafana();
const wanted: [string, number][] = [
  ['port', servicePort],
  ['prometheus-port', prometheusPort],
  ['alertmanager-port', alertmanagerPort],
  ['receiver-port', receiverPort],
  ...(grafanaBinary ? ([['grafana-port', grafanaPort]] as [string, number][]) : []),
];
for (const [i, [flag, value]] of wanted.entries()) {
  const clash = wanted.slice(0, i).find(([, other]) => other === value);
  if (clash) problems.push(`${named(flag)} and ${named(clash[0])} are both ${value}: give each its own port`);
}
// Before anything starts: a busy port would otherwise show another stack's numbers as ours.
for (const [flag, value] of wanted) {
  const problem = await portProblem(host, value);
  if (problem) problems.push(`port ${value} on ${host} ${problem}: set ${MAKE_VARIABLE[flag]}=<a free port> (another make local running?)`);
}
if (problems.length > 0) fail(problems.join('\nmake local: '), 1);

const stateDir = join(root, '.local');
const runDir = await newRunDir(join(stateDir, 'logs'));
const shown = (path: string) => relative(process.cwd(), path) || path;

/** A child's log file, keeping its last lines to show if it dies. */
class LogFile {
  readonly path: string;
  readonly last: string[] = [];
  private readonly stream: WriteStream;
  constructor(name: string) {
    this.path = join(runDir, `${name}.log`);
    this.stream = createWriteStream(this.path, { flags: 'wx' });
  }
  line = (text: string) => {
    this.stream.write(`${text}\n`);
    if (this.last.push(text) > 15) this.last.shift();
  };
  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(resolve));
  }
}

const say = (text: string) => console.log(text);
const panel = new LivePanel(process.stdout);
const logs: LogFile[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
let stopping = false;
async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    panel.release();
    say('\nstopping…');
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await Promise.all(logs.map((log) => log.close()));
  }
  process.exit(code);
}
process.once('SIGINT', () => void stopAll(0));
process.once('SIGTERM', () => void stopAll(0));

/** Any child exiting on its own takes the whole stack down, and says why. */
function watch(name: string, exited: Promise<unknown>, log: LogFile) {
  void exited.then((code) => {
    if (stopping) return;
    panel.release();
    console.error(`\nmake local: ${name} exited (${code}) on its own; stopping the rest. Its last lines (${shown(log.path)}):`);
    for (const line of log.last) console.error(`  ${line}`);
    void stopAll(1);
  });
}
const exitOf = (child: ChildProcess) =>
  new Promise<number | string>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode ?? child.signalCode ?? 'unknown');
    else child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
const logFile = (name: string) => {
  const log = new LogFile(name);
  logs.push(log);
  return log;
};

try {
  say(`logs        ${shown(runDir)}/`);
  const serviceLog = logFile('service');
  // The admin endpoint is on, with a fresh token that `make drill` reads from .local/.
  const service = await startService({
    host,
    port: servicePort,
    env: { LOG_LEVEL: 'info', ADMIN_TOKEN: await adminToken() },
    echo: serviceLog.line,
  });
  cleanups.push(() => service.stop());
  watch('the service', exitOf(service.process), serviceLog);
  say(`service     ${service.url}   (/metrics, /healthz, /readyz)`);

  const alertmanagerTarget = await startAlerting();

  const ruleFiles = await localRuleFiles(stateDir);
  const prometheusLog = logFile('prometheus');
  const prometheus = await startPrometheus({
    host,
    port: prometheusPort,
    scrapeInterval: '5s',
    scrapeTargets: [{ jobName: 'redline', targets: [`${host}:${service.port}`], labels: { namespace: 'local' } }],
    ruleFiles,
    alertmanagers: [alertmanagerTarget],
    log: prometheusLog.line,
  });
  cleanups.push(() => prometheus.stop());
  watch('Prometheus', exitOf(prometheus.process), prometheusLog);
  say(
    `prometheus  ${prometheus.url}   (scrapes every 5s; ${ruleFiles.length ? `rules: ${ruleFiles.join(', ')}` : 'no rule file rendered'})`,
  );

  const loadgenLog = logFile('loadgen');
  const loadgen = spawnNode(loadgenEntry, [`--target=${service.url}`, `--rate=${values.rate}`, '--duration=0'], {}, loadgenLog.line);
  const loadStarted = Date.now();
  cleanups.push(() => loadgen.stop());
  watch('the load generator', loadgen.exited, loadgenLog);
  say(`loadgen     ${Number(values.rate)} req/s over the API routes`);

  if (grafanaBinary) {
    const grafanaLog = logFile('grafana');
    const grafana = await startGrafana(grafanaBinary, host, grafanaPort, prometheus.url, grafanaLog);
    cleanups.push(async () => {
      grafana.kill('SIGTERM');
      await exitOf(grafana);
    });
    watch('Grafana', exitOf(grafana), grafanaLog);
  } else {
    say('grafana     not installed: install Grafana (its APT repository or a tarball; see README "Quick start"),');
    say('            or use `make compose-up` (Docker) or the kind cluster for dashboards.');
  }

  const deadline = durationMs > 0 ? Date.now() + durationMs : Number.POSITIVE_INFINITY;
  const windowMs = 60_000;
  say(`\nRED per route over the last minute, every ${refreshMs / 1000}s (Ctrl-C to stop):`);
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(refreshMs, Math.max(deadline - Date.now(), 0))));
    if (stopping) break;
    const rows = await redByRoute(prometheus, 'job="redline",namespace="local"').catch((error: Error) => error);
    const note = windowFillingNote(Date.now() - loadStarted, windowMs);
    const stamp = `${new Date().toISOString()}${note ? `  ${note}` : ''}`;
    if (rows instanceof Error) panel.show(`${stamp}\n(Prometheus: ${rows.message})`);
    else if (rows.length === 0) panel.show(`${stamp}\n(waiting for the first scrapes…)`);
    else panel.show(`${stamp}\n${formatRedTable(rows)}\n${await alertsLine(prometheus, 'local', 'redline')}`);
  }
  await stopAll(0);
} catch (error) {
  panel.release();
  console.error(`make local: ${(error as Error).message}`);
  await stopAll(1);
}

/**
 * The project's webhook receiver (its notifications printed and logged) and Alertmanager with
 * scripts/local/alertmanager.yaml pointed at it; returns the host:port Prometheus sends to.
 */
async function startAlerting(): Promise<string> {
  const notificationLog = logFile('notifications');
  const receiver = await startWebhookReceiver({
    host,
    port: receiverPort,
    print: (text) => {
      panel.release();
      say(`\n${text}`);
      notificationLog.line(text);
    },
  });
  cleanups.push(() => receiver.stop());
  const alertmanagerLog = logFile('alertmanager');
  const alertmanager = await startAlertmanager({ host, port: alertmanagerPort, receiverUrl: receiver.url, log: alertmanagerLog.line });
  cleanups.push(() => alertmanager.stop());
  watch('Alertmanager', exitOf(alertmanager.process), alertmanagerLog);
  say(`alertmanager ${alertmanager.url}   (${await alertmanager.version()}; critical → page, warning → ticket; log: alertmanager.log)`);
  say(`receiver    ${receiver.url}   (page and ticket webhooks; GET /notifications; log: notifications.log)`);
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

/** A folder of its own for this run's logs; .local/logs/latest points at it. */
async function newRunDir(logsDir: string): Promise<string> {
  await mkdir(logsDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  // mkdir without `recursive` fails on an existing folder: two runs never share one.
  for (let attempt = 0; ; attempt++) {
    const dir = join(logsDir, attempt === 0 ? stamp : `${stamp}-${attempt}`);
    try {
      await mkdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && attempt < 100) continue;
      throw error;
    }
    const link = join(logsDir, `latest.${process.pid}`);
    await rm(link, { force: true });
    await symlink(relative(logsDir, dir), link);
    await rename(link, join(logsDir, 'latest'));
    return dir;
  }
}

function findGrafana(): string | undefined {
  return ['grafana-server', '/usr/sbin/grafana-server', '/usr/share/grafana/bin/grafana-server'].find((candidate) =>
    candidate.includes('/') ? existsSync(candidate) : (process.env.PATH ?? '').split(':').some((dir) => existsSync(join(dir, candidate))),
  );
}

async function startGrafana(binary: string, bindHost: string, port: number, prometheusUrl: string, log: LogFile): Promise<ChildProcess> {
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
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) log.line(line);
    });
  }
  say(`grafana     http://${bindHost}:${port}   (anonymous viewer; dashboard "redline")`);
  return child;
}
