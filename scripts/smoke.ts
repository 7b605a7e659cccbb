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
  const limit = deadline(options.deadlineMs);
  let cluster: Cluster | undefined;
  let forward: Forward | undefined;
  let grafanaForward: Forward | undefined;
  try {
    // With --prometheus-url the cluster only serves the diagnosis: without one, it is skipped.
    cluster = options.prometheusUrl
      ? (() => {
          try {
            return connect(options.context);
          } catch {
            return undefined;
          }
        })()
      : connect(options.context);
    if (!options.prometheusUrl) {
      if (!cluster) throw new Error('no kubeconfig context: start the cluster (make kind-up) or pass --prometheus-url');
      const server = cluster.kubeConfig.getCurrentCluster()?.server;
      forward = await forwardPrometheus(cluster, options.prometheusNamespace, options.prometheusRelease).catch((error: unknown) => {
        throw new Error(`cannot port-forward to Prometheus through the cluster at ${server}: ${(error as Error).message}`);
      });
    }
    const client = new PrometheusClient(options.prometheusUrl ?? forward!.url);
    let grafana: GrafanaClient | undefined;
    if (options.grafana) {
      const login = await grafanaLogin(cluster, options);
      if (!options.grafanaUrl) {
        grafanaForward = await forwardGrafana(cluster!, options.prometheusNamespace, options.prometheusRelease).catch((error: unknown) => {
          throw new Error(`cannot port-forward to Grafana through the cluster: ${(error as Error).message}`);
        });
      }
      grafana = new GrafanaClient(options.grafanaUrl ?? grafanaForward!.url, login.user, login.password);
    }
    const safePass = () =>
      runPass(client, options).catch(
        (error: unknown): Pass => ({
          ok: false,
          red: [],
          checks: [{ name: checkNames.ready, ok: false, detail: `Prometheus API error: ${(error as Error).message}` }],
        }),
      );
    // Through a port-forward, "not reachable" has a cause the forward knows (no Ready pod yet,
    // an API server or websocket error): report that instead.
    const explained = async (): Promise<Pass> => {
      const pass = await safePass();
      const failure = forward?.lastError();
      const ready = pass.checks.find((c) => c.name === checkNames.ready);
      if (failure && ready && !ready.ok) ready.detail = failure;
      if (grafana) {
        const checks = await grafanaChecks(grafana, options).catch((error: unknown) => [
          {
            name: grafanaCheckNames.ready,
            ok: false,
            detail: grafanaForward?.lastError() ?? `Grafana API error at ${grafana!.url}: ${(error as Error).message}`,
          },
        ]);
        pass.checks.push(...checks);
        pass.ok = pass.ok && checks.every((c) => c.ok);
      }
      return pass;
    };
    const { result: pass, attempts } = await retryUntil(explained, (p) => p.ok, limit);
    // With --prometheus-url there may be no cluster behind it: the diagnosis is then skipped.
    const asked = cluster;
    await diagnose(pass, options.prometheusUrl ? asked && (await reachable(asked)) : asked, options);
    const result = outcome(pass, {
      prometheus: client.url,
      ...(forward ? { via: forward.target } : {}),
      ...(grafana ? { grafana: grafana.url } : {}),
      ...(grafanaForward ? { grafanaVia: grafanaForward.target } : {}),
      elapsedMs: Date.now() - started,
      attempts,
      window: options.window,
    });
    console.log(options.json ? JSON.stringify(result, null, 2) : formatReport(result));
    return result.ok ? 0 : 1;
  } catch (error) {
    const reason = (error as Error).message;
    console.log(options.json ? JSON.stringify({ ok: false, reasons: [reason] }, null, 2) : `redline smoke: FAIL: ${reason}`);
    return 1;
  } finally {
    await forward?.close();
    await grafanaForward?.close();
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
