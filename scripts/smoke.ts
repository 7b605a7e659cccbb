// make smoke: proves, through the Prometheus HTTP API alone, that redline is scraped, its RED
// queries and recording rules have data, its rule groups are loaded and none of its alerts fires.
// Without --prometheus-url it port-forwards to kube-prometheus-stack's Prometheus in the
// kubeconfig context given by --context (else the current one). Exit 0: all true before the deadline; 1: the reasons; 2: bad usage.
import { PrometheusClient } from './lib/prometheus-api.ts';
import { checkNames, runPass, type Pass } from './smoke/checks.ts';
import {
  connect,
  diagnoseSelection,
  forwardGrafana,
  forwardPrometheus,
  grafanaCredentials,
  type Cluster,
  type Forward,
} from './smoke/cluster.ts';
import { GrafanaClient, grafanaCheckNames, grafanaChecks } from './smoke/grafana.ts';
import { parseOptions, usage, type SmokeOptions } from './smoke/options.ts';
import { formatReport, outcome } from './smoke/report.ts';
import { deadline, retryUntil } from './smoke/wait.ts';

/** Adds the cluster's "not selected" reason to the scrape-pool and rule-group failures. */
async function diagnose(pass: Pass, cluster: Cluster | undefined, options: SmokeOptions): Promise<void> {
  const subjects = [
    { check: checkNames.pool, kind: 'ServiceMonitor' as const },
    { check: checkNames.groups, kind: 'PrometheusRule' as const },
  ];
  for (const { check: name, kind } of subjects) {
    const failed = pass.checks.find((c) => c.name === name && !c.ok);
    if (!failed) continue;
    if (!cluster) {
      failed.detail += ` (no cluster to ask why: ${kind} selection not diagnosed)`;
      continue;
    }
    const reason = await diagnoseSelection(cluster, kind, options).catch(
      (error: unknown) => `could not read the ${kind} selection from the cluster: ${(error as Error).message}`,
    );
    if (reason) failed.detail += `; ${reason}`;
  }
}

/** The cluster to forward through and to ask why; with --prometheus-url only for the diagnosis, so optional then. */
function connectCluster(options: SmokeOptions): Cluster | undefined {
  if (!options.prometheusUrl) return connect(options.context);
  try {
    return connect(options.context);
  } catch {
    return undefined;
  }
}

/** The Prometheus to ask: --prometheus-url, or a port-forward to kube-prometheus-stack's. */
async function openPrometheus(
  cluster: Cluster | undefined,
  options: SmokeOptions,
): Promise<{ client: PrometheusClient; forward?: Forward }> {
  if (options.prometheusUrl) return { client: new PrometheusClient(options.prometheusUrl) };
  if (!cluster) throw new Error('no kubeconfig context: start the cluster (make kind-up) or pass --prometheus-url');
  const server = cluster.kubeConfig.getCurrentCluster()?.server;
  const forward = await forwardPrometheus(cluster, options.prometheusNamespace, options.prometheusRelease).catch((error: unknown) => {
    throw new Error(`cannot port-forward to Prometheus through the cluster at ${server}: ${(error as Error).message}`);
  });
  return { client: new PrometheusClient(forward.url), forward };
}

/** With --grafana: a client for --grafana-url, or for a port-forward to the stack's Grafana. */
async function openGrafana(cluster: Cluster | undefined, options: SmokeOptions): Promise<{ grafana?: GrafanaClient; forward?: Forward }> {
  if (!options.grafana) return {};
  const login = await grafanaLogin(cluster, options);
  if (options.grafanaUrl) return { grafana: new GrafanaClient(options.grafanaUrl, login.user, login.password) };
  const forward = await forwardGrafana(cluster!, options.prometheusNamespace, options.prometheusRelease).catch((error: unknown) => {
    throw new Error(`cannot port-forward to Grafana through the cluster: ${(error as Error).message}`);
  });
  return { grafana: new GrafanaClient(forward.url, login.user, login.password), forward };
}

interface Targets {
  client: PrometheusClient;
  forward?: Forward;
  grafana?: GrafanaClient;
  grafanaForward?: Forward;
}

/**
 * One pass of every check. An API error is a failed readiness check, and through a
 * port-forward "not reachable" has a cause the forward knows (no Ready pod yet, an API server
 * or websocket error): report that instead.
 */
async function explainedPass({ client, forward, grafana, grafanaForward }: Targets, options: SmokeOptions): Promise<Pass> {
  const pass = await runPass(client, options).catch(
    (error: unknown): Pass => ({
      ok: false,
      red: [],
      checks: [{ name: checkNames.ready, ok: false, detail: `Prometheus API error: ${(error as Error).message}` }],
    }),
  );
  const failure = forward?.lastError();
  const ready = pass.checks.find((c) => c.name === checkNames.ready);
  if (failure && ready && !ready.ok) ready.detail = failure;
  if (grafana) {
    const checks = await grafanaChecks(grafana, options).catch((error: unknown) => [
      {
        name: grafanaCheckNames.ready,
        ok: false,
        detail: grafanaForward?.lastError() ?? `Grafana API error at ${grafana.url}: ${(error as Error).message}`,
      },
    ]);
    pass.checks.push(...checks);
    pass.ok = pass.ok && checks.every((c) => c.ok);
  }
  return pass;
}

/** Passes until one succeeds or the deadline comes; then the diagnosis, and the outcome. */
async function smoke(
  targets: Targets,
  cluster: Cluster | undefined,
  options: SmokeOptions,
  started: number,
  limit: ReturnType<typeof deadline>,
) {
  const { result: pass, attempts } = await retryUntil(
    () => explainedPass(targets, options),
    (p) => p.ok,
    limit,
  );
  // With --prometheus-url there may be no cluster behind it: the diagnosis is then skipped.
  await diagnose(pass, options.prometheusUrl ? cluster && (await reachable(cluster)) : cluster, options);
  return outcome(pass, {
    prometheus: targets.client.url,
    ...(targets.forward ? { via: targets.forward.target } : {}),
    ...(targets.grafana ? { grafana: targets.grafana.url } : {}),
    ...(targets.grafanaForward ? { grafanaVia: targets.grafanaForward.target } : {}),
    elapsedMs: Date.now() - started,
    attempts,
    window: options.window,
  });
}

async function main(argv: string[]): Promise<number> {
  let options: SmokeOptions | 'help';
  try {
    options = parseOptions(argv);
  } catch (error) {
    console.error(`smoke: ${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if (options === 'help') {
    console.log(usage);
    return 0;
  }
  const started = Date.now();
  // The deadline counts from the start: connecting and port-forwarding spend it too.
  const limit = deadline(options.deadlineMs);
  const forwards: Forward[] = [];
  try {
    const cluster = connectCluster(options);
    const prometheus = await openPrometheus(cluster, options);
    if (prometheus.forward) forwards.push(prometheus.forward);
    const grafana = await openGrafana(cluster, options);
    if (grafana.forward) forwards.push(grafana.forward);
    const targets = { ...prometheus, grafana: grafana.grafana, grafanaForward: grafana.forward };
    const result = await smoke(targets, cluster, options, started, limit);
    console.log(options.json ? JSON.stringify(result, null, 2) : formatReport(result));
    return result.ok ? 0 : 1;
  } catch (error) {
    const reason = (error as Error).message;
    console.log(options.json ? JSON.stringify({ ok: false, reasons: [reason] }, null, 2) : `redline smoke: FAIL: ${reason}`);
    return 1;
  } finally {
    for (const forward of forwards) await forward.close();
  }
}

/** GRAFANA_USER and GRAFANA_PASSWORD when both are set, else the cluster's Grafana admin Secret. */
async function grafanaLogin(cluster: Cluster | undefined, options: SmokeOptions): Promise<{ user: string; password: string }> {
  const { GRAFANA_USER: user, GRAFANA_PASSWORD: password } = process.env;
  if (user && password) return { user, password };
  if (!cluster) throw new Error('--grafana needs a cluster to read the Grafana login from, or GRAFANA_USER and GRAFANA_PASSWORD');
  return grafanaCredentials(cluster, options.prometheusNamespace, options.prometheusRelease).catch((error: unknown) => {
    throw new Error(`cannot read the Grafana login: ${(error as Error).message}`);
  });
}

/** The cluster, if its API server answers within 3s; otherwise undefined. */
async function reachable(cluster: Cluster): Promise<Cluster | undefined> {
  const probe = cluster.core.getAPIResources().then(
    () => cluster,
    () => undefined,
  );
  const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 3_000).unref());
  return Promise.race([probe, timeout]);
}

process.exitCode = await main(process.argv.slice(2));
