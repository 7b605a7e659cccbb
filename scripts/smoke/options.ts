// Command-line options of scripts/smoke.ts. Defaults describe `make kind-up`'s cluster.
import { parseArgs } from 'node:util';
import { parseDuration } from '../../service/src/duration.ts';

export interface SmokeOptions {
  /** Prometheus to ask; when absent, smoke port-forwards to the cluster's Prometheus. */
  prometheusUrl?: string;
  /** Namespace and job labels of redline's series (ServiceMonitor: the namespace and Service name). */
  namespace: string;
  job: string;
  /** The scrape pool Prometheus gives redline's targets. */
  scrapePool: string;
  /** Scrape interval the targets must have, in seconds. */
  intervalSeconds: number;
  /** Window of the recorded RED series to read (1m, 5m, or one of the chart's prometheusRule.redWindows). */
  window: string;
  /** How long to wait for everything to be true, in milliseconds. */
  deadlineMs: number;
  /** Where kube-prometheus-stack runs, for the port-forward and the "not selected" diagnosis. */
  prometheusNamespace: string;
  prometheusRelease: string;
  /** Also prove Grafana: dashboard loaded, datasource resolves, panel queries return data. */
  grafana: boolean;
  /** Grafana to ask (login from GRAFANA_USER/GRAFANA_PASSWORD, else the cluster's Secret); default: port-forward. */
  grafanaUrl?: string;
  /** kubeconfig context of the cluster; the current context when absent. */
  context?: string;
  json: boolean;
}

export const usage = `Usage: node scripts/smoke.ts [options]

Proves redline is monitored: its targets are up under the expected scrape pool at the
expected interval, the RED queries and recording rules return data, the redline.* rule groups
are loaded and no Redline* alert fires. Waits up to --deadline, then exits 1 with the reasons.

  --prometheus-url URL        ask this Prometheus (default: port-forward to the cluster's)
  --namespace NAME            namespace label of redline's series (default: redline)
  --job NAME                  job label of redline's series (default: redline)
  --scrape-pool NAME          expected scrape pool (default: serviceMonitor/<namespace>/<job>/0)
  --interval DURATION         expected scrape interval (default: 5s)
  --window DURATION           window of the recorded per-route RED series to read: 1m, 5m
                              or one of the chart's prometheusRule.redWindows (default: 1m)
  --deadline DURATION         give up after this long (default: 180s)
  --prometheus-namespace NS   kube-prometheus-stack's namespace (default: monitoring)
  --prometheus-release NAME   kube-prometheus-stack's release (default: kps)
  --grafana                   also prove Grafana: the redline dashboard is loaded, its
                              datasource resolves, and its request-rate and error-ratio
                              queries return data through Grafana's query API
  --grafana-url URL           ask this Grafana (default: port-forward to the cluster's);
                              login from GRAFANA_USER and GRAFANA_PASSWORD, else from the
                              cluster's Grafana admin Secret
  --context NAME              kubeconfig context of the cluster (default: the current one;
                              make smoke passes kind-<KIND_CLUSTER>)
  --json                      print one JSON document instead of the report
  -h, --help                  show this help`;

export function parseOptions(argv: string[]): SmokeOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      'prometheus-url': { type: 'string' },
      namespace: { type: 'string', default: 'redline' },
      job: { type: 'string', default: 'redline' },
      'scrape-pool': { type: 'string' },
      interval: { type: 'string', default: '5s' },
      window: { type: 'string', default: '1m' },
      deadline: { type: 'string', default: '180s' },
      'prometheus-namespace': { type: 'string', default: 'monitoring' },
      'prometheus-release': { type: 'string', default: 'kps' },
      context: { type: 'string' },
      grafana: { type: 'boolean', default: false },
      'grafana-url': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  parseDuration(values.window); // reject a bad window before it reaches PromQL
  const url = values['prometheus-url'];
  if (url !== undefined && !/^https?:\/\/[^/]+/.test(url)) throw new Error(`--prometheus-url must be an http(s) URL, got "${url}"`);
  const grafanaUrl = values['grafana-url'];
  if (grafanaUrl !== undefined && !/^https?:\/\/[^/]+/.test(grafanaUrl))
    throw new Error(`--grafana-url must be an http(s) URL, got "${grafanaUrl}"`);
  return {
    ...(url ? { prometheusUrl: url } : {}),
    namespace: values.namespace,
    job: values.job,
    scrapePool: values['scrape-pool'] ?? `serviceMonitor/${values.namespace}/${values.job}/0`,
    intervalSeconds: parseDuration(values.interval) / 1_000,
    window: values.window,
    deadlineMs: parseDuration(values.deadline),
    prometheusNamespace: values['prometheus-namespace'],
    prometheusRelease: values['prometheus-release'],
    ...(values.context ? { context: values.context } : {}),
    grafana: values.grafana || grafanaUrl !== undefined,
    ...(grafanaUrl ? { grafanaUrl } : {}),
    json: values.json,
  };
}
