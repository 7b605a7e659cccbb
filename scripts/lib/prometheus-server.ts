// Runs the real prometheus binary on loopback with a generated config: used by `make local`
// and by the tests, so both exercise the same Prometheus the same way.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './ports.ts';
import { PrometheusClient } from './prometheus-api.ts';
import { terminate } from './service-process.ts';
import { waitFor } from './wait.ts';

export interface StaticTarget {
  jobName: string;
  /** scrape_native_histograms: how Prometheus >= 3.8 turns native histogram scraping on. */
  scrapeNativeHistograms?: boolean;
  targets: string[];
  labels?: Record<string, string>;
  metricsPath?: string;
  /** Formats to negotiate, first preferred (`PrometheusProto` first for native histograms). */
  scrapeProtocols?: string[];
  /** Keep ingesting classic buckets of histograms that also have native ones. */
  alwaysScrapeClassicHistograms?: boolean;
}

export interface PrometheusOptions {
  /** Static scrape jobs; the usual case. */
  scrapeTargets?: StaticTarget[];
  /** Raw scrape_configs entries, for what StaticTarget cannot say. */
  scrapeConfigs?: Record<string, unknown>[];
  ruleFiles?: string[];
  scrapeInterval?: string;
  evaluationInterval?: string;
  host?: string;
  port?: number;
  /** Keep data here instead of a temporary folder that is removed on stop. */
  dataDir?: string;
  binary?: string;
  /** Feature flags (`--enable-feature`), e.g. `native-histograms` on 3.x before 3.8. */
  enableFeatures?: string[];
  /** Where Prometheus' own log goes as well; its last lines are kept and shown if start-up fails. */
  log?: (line: string) => void;
  /** Alertmanagers (host:port) Prometheus sends its alerts to. */
  alertmanagers?: string[];
}

export interface RunningPrometheus extends PrometheusClient {
  port: number;
  configFile: string;
  process: ChildProcess;
  /** Asks Prometheus to re-read its config and rule files. */
  reload(): Promise<void>;
  stop(): Promise<void>;
}

export function scrapeConfig(target: StaticTarget, scrapeInterval?: string): Record<string, unknown> {
  return {
    job_name: target.jobName,
    ...(target.scrapeNativeHistograms !== undefined ? { scrape_native_histograms: target.scrapeNativeHistograms } : {}),
    ...(scrapeInterval ? { scrape_interval: scrapeInterval } : {}),
    metrics_path: target.metricsPath ?? '/metrics',
    ...(target.scrapeProtocols ? { scrape_protocols: target.scrapeProtocols } : {}),
    ...(target.alwaysScrapeClassicHistograms !== undefined
      ? { always_scrape_classic_histograms: target.alwaysScrapeClassicHistograms }
      : {}),
    static_configs: [{ targets: target.targets, labels: target.labels ?? {} }],
  };
}

/** Protobuf first: the only exposition format that carries native histograms. */
export const NATIVE_SCRAPE_PROTOCOLS = [
  'PrometheusProto',
  'OpenMetricsText1.0.0',
  'OpenMetricsText0.0.1',
  'PrometheusText1.0.0',
  'PrometheusText0.0.4',
];

/**
 * What a Prometheus version needs to scrape native histograms while keeping the classic
 * buckets: from 3.8 the scrape setting scrape_native_histograms (the feature flag is a no-op
 * from 3.9), before that the feature flag (3.5-3.7 reject the setting as an unknown field).
 */
export function nativeHistogramScrape(version: string): { enableFeatures: string[]; target: Partial<StaticTarget> } {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major < 3) throw new Error(`native histograms need Prometheus 3; this is ${version}`);
  const setting = major > 3 || minor >= 8;
  return {
    enableFeatures: setting ? [] : ['native-histograms'],
    target: {
      scrapeProtocols: NATIVE_SCRAPE_PROTOCOLS,
      alwaysScrapeClassicHistograms: true,
      ...(setting ? { scrapeNativeHistograms: true } : {}),
    },
  };
}

export function prometheusConfig(options: PrometheusOptions): Record<string, unknown> {
  const interval = options.scrapeInterval ?? '5s';
  return {
    global: { scrape_interval: interval, evaluation_interval: options.evaluationInterval ?? interval },
    rule_files: options.ruleFiles ?? [],
    ...(options.alertmanagers?.length ? { alerting: { alertmanagers: [{ static_configs: [{ targets: options.alertmanagers }] }] } } : {}),
    scrape_configs: [...(options.scrapeTargets ?? []).map((target) => scrapeConfig(target)), ...(options.scrapeConfigs ?? [])],
  };
}

export async function startPrometheus(options: PrometheusOptions = {}): Promise<RunningPrometheus> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort(host));
  const workDir = await mkdtemp(join(tmpdir(), 'redline-prometheus-'));
  const dataDir = options.dataDir ?? join(workDir, 'data');
  const configFile = join(workDir, 'prometheus.yml');
  await writeFile(configFile, stringify(prometheusConfig(options)));

  const output: string[] = [];
  const child = spawn(
    options.binary ?? 'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${dataDir}`,
      `--web.listen-address=${host}:${port}`,
      '--web.enable-lifecycle',
      '--storage.tsdb.retention.time=1d',
      ...(options.enableFeatures?.length ? [`--enable-feature=${options.enableFeatures.join(',')}`] : []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        options.log?.(line);
        // Kept either way: a failed start shows it.
        if (output.push(line) > 200) output.shift();
      }
    });
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const client = new PrometheusClient(`http://${host}:${port}`);
  const stop = async (): Promise<void> => {
    await terminate(child, exited);
    await rm(workDir, { recursive: true, force: true });
  };

  try {
    // An exit ends the wait at once (a bad flag, a busy port) instead of after the timeout.
    const exit = exited.then(() => {
      throw new Error(`prometheus exited with code ${child.exitCode ?? child.signalCode}`);
    });
    exit.catch(() => undefined);
    await Promise.race([
      exit,
      waitFor('Prometheus to be ready', async () => ((await client.ready()) ? true : undefined), { timeoutMs: 30_000 }),
    ]);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${output.join('\n')}`);
  }

  return Object.assign(client, {
    port,
    configFile,
    process: child,
    stop,
    async reload() {
      const response = await fetch(`${client.url}/-/reload`, { method: 'POST' });
      if (!response.ok) throw new Error(`reload failed: HTTP ${response.status} ${await response.text()}`);
    },
  });
}
