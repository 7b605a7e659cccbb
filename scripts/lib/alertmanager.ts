// Runs the real alertmanager binary on loopback with the local stack's configuration
// (scripts/local/alertmanager.yaml), and reads Alertmanager's API v2: used by `make local`,
// `make drill` and the tests, so all of them exercise the same Alertmanager the same way.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { freePort } from './ports.ts';
import { terminate } from './service-process.ts';
import { waitFor } from './wait.ts';

/** The local stack's routing: critical to "page", warning to "ticket", both webhooks. */
export const LOCAL_ALERTMANAGER_CONFIG = fileURLToPath(new URL('../local/alertmanager.yaml', import.meta.url));

/** An alert as Alertmanager's API v2 reports it (GET /api/v2/alerts). */
export interface ManagedAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  fingerprint: string;
  receivers: { name: string }[];
  status: { state: 'active' | 'suppressed' | 'unprocessed'; inhibitedBy: string[]; silencedBy: string[] };
}

interface WebhookConfig {
  url?: string;
}
interface AlertmanagerConfigFile {
  receivers?: { name: string; webhook_configs?: WebhookConfig[] }[];
  [key: string]: unknown;
}

/**
 * The configuration file's text with every webhook URL sent to `receiverUrl` (keeping the path,
 * which names the receiver): the file in the repository names a fixed port, the stack picks
 * its own.
 */
export async function alertmanagerConfigFor(receiverUrl: string, file = LOCAL_ALERTMANAGER_CONFIG): Promise<string> {
  const config = parse(await readFile(file, 'utf8')) as AlertmanagerConfigFile;
  const target = new URL(receiverUrl);
  for (const receiver of config.receivers ?? []) {
    for (const webhook of receiver.webhook_configs ?? []) {
      if (!webhook.url) throw new Error(`${file}: receiver ${receiver.name} has a webhook without url`);
      const url = new URL(webhook.url);
      url.protocol = target.protocol;
      url.host = target.host;
      webhook.url = url.toString();
    }
  }
  return stringify(config);
}

export class AlertmanagerClient {
  readonly url: string;

  constructor(url: string) {
    this.url = url.replace(/\/+$/, '');
  }

  async ready(): Promise<boolean> {
    try {
      return (await fetch(`${this.url}/-/ready`, { signal: AbortSignal.timeout(2_000) })).ok;
    } catch {
      return false;
    }
  }

  /** Every alert Alertmanager holds, inhibited and silenced ones included. */
  async alerts(): Promise<ManagedAlert[]> {
    const response = await fetch(`${this.url}/api/v2/alerts?active=true&inhibited=true&silenced=true&unprocessed=true`, {
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw new Error(`Alertmanager ${this.url}/api/v2/alerts: HTTP ${response.status} ${await response.text()}`);
    return (await response.json()) as ManagedAlert[];
  }

  /** The version Alertmanager reports (GET /api/v2/status). */
  async version(): Promise<string> {
    const response = await fetch(`${this.url}/api/v2/status`, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`Alertmanager ${this.url}/api/v2/status: HTTP ${response.status}`);
    return ((await response.json()) as { versionInfo?: { version?: string } }).versionInfo?.version ?? 'unknown';
  }
}

export interface AlertmanagerOptions {
  /** Where the webhooks of the configuration go (the project's receiver). */
  receiverUrl: string;
  configFile?: string;
  host?: string;
  port?: number;
  binary?: string;
  /** Where Alertmanager's own log goes; by default it is kept and shown if start-up fails. */
  log?: (line: string) => void;
}

export interface RunningAlertmanager extends AlertmanagerClient {
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startAlertmanager(options: AlertmanagerOptions): Promise<RunningAlertmanager> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort(host));
  const workDir = await mkdtemp(join(tmpdir(), 'redline-alertmanager-'));
  const configFile = join(workDir, 'alertmanager.yml');
  await writeFile(configFile, await alertmanagerConfigFor(options.receiverUrl, options.configFile));

  const output: string[] = [];
  const child = spawn(
    options.binary ?? 'alertmanager',
    [
      `--config.file=${configFile}`,
      `--storage.path=${join(workDir, 'data')}`,
      `--web.listen-address=${host}:${port}`,
      // One instance: no gossip port to collide with another stack's.
      '--cluster.listen-address=',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        if (options.log) options.log(line);
        else if (output.push(line) > 200) output.shift();
      }
    });
  }
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const client = new AlertmanagerClient(`http://${host}:${port}`);
  const stop = async (): Promise<void> => {
    if (child.pid !== undefined) await terminate(child, exited);
    await rm(workDir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      'Alertmanager to be ready',
      async () => {
        const failed = await Promise.race([spawnError, Promise.resolve(undefined)]);
        if (failed)
          throw new Error(`cannot run ${options.binary ?? 'alertmanager'}: ${failed.message} (make bootstrap-prometheus installs it)`);
        if (child.exitCode !== null) throw new Error(`alertmanager exited with code ${child.exitCode}`);
        return (await client.ready()) ? true : undefined;
      },
      { timeoutMs: 30_000 },
    );
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${output.join('\n')}`);
  }
  return Object.assign(client, { port, process: child, stop });
}
