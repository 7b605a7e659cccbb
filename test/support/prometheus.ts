// The real Prometheus for tests: see scripts/lib/prometheus-server.ts.
export { startPrometheus, prometheusConfig, type RunningPrometheus, type StaticTarget } from '../../scripts/lib/prometheus-server.ts';
export { PrometheusClient, type Sample, type Target, type RuleGroup, type Alert } from '../../scripts/lib/prometheus-api.ts';
export { waitFor } from '../../scripts/lib/wait.ts';
