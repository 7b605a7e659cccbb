// The chart against the service's code: the metric names its rules and dashboard read, and
// the latency thresholds its schema accepts, come from the metrics the service registers; with
// metrics.nativeHistograms, the service started with the Deployment's environment answers the
// ServiceMonitor's protocol negotiation in protobuf, the only format with native histograms.
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { redlineDashboard } from '../../../dashboards/redline.ts';
import { CHART_DIR, helmTemplate } from '../../../scripts/lib/helm.ts';
import { renderRuleGroups } from '../../../scripts/lib/rules.ts';
import { DEFAULT_BUCKETS, RedMetrics } from '../../../service/src/metrics/red-metrics.ts';
import { startService } from '../../../scripts/lib/service-process.ts';
import { panelQueries } from '../../../test/support/chart/dashboard.ts';
import { get, spec, type PodTemplate } from '../../../test/support/chart/manifests.ts';

/** Media types of the ServiceMonitor's scrapeProtocols, as Prometheus sends them in Accept. */
const MEDIA_TYPES: Record<string, string> = {
  PrometheusProto: 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited',
  'OpenMetricsText1.0.0': 'application/openmetrics-text;version=1.0.0',
  'OpenMetricsText0.0.1': 'application/openmetrics-text;version=0.0.1',
  'PrometheusText1.0.0': 'text/plain;version=1.0.0',
  'PrometheusText0.0.4': 'text/plain;version=0.0.4',
};

/** An Accept header preferring the protocols in their order, like Prometheus builds it. */
function acceptHeader(protocols: string[]): string {
  const weighted = protocols.map((p, i) => `${MEDIA_TYPES[p]};q=${(0.9 - i * 0.1).toFixed(1)}`);
  return [...weighted, '*/*;q=0.1'].join(',');
}

/** Series names a metric of the registry exposes (histograms: _bucket, _count, _sum). */
function exposedNames(registry: Registry): Set<string> {
  const names = new Set<string>();
  for (const metric of registry.getMetricsAsArray()) {
    const { name, type } = metric as unknown as { name: string; type: string };
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_count', '_sum']) names.add(name + suffix);
  }
  return names;
}

describe('chart: contract with the service', () => {
  it('accepts exactly the histogram bucket boundaries as the latency threshold', async () => {
    const schema = JSON.parse(await readFile(join(CHART_DIR, 'values.schema.json'), 'utf8'));
    // As numbers, and as the strings `--set` gives (0.25 stays "0.25").
    const allowed: unknown[] = schema.properties.slo.properties.latency.properties.thresholdSeconds.enum;
    expect(allowed).to.deep.equal([...DEFAULT_BUCKETS, ...DEFAULT_BUCKETS.map(String)]);
  });

  it('reads only RED metrics the service registers (rules and dashboard)', async () => {
    const registry = new Registry();
    new RedMetrics(registry);
    const exposed = exposedNames(registry);
    const exprs = [
      ...(await renderRuleGroups()).flatMap((g) => g.rules.map((r) => r.expr)),
      ...panelQueries(redlineDashboard()).map((q) => q.expr),
    ];
    const used = new Set(exprs.flatMap((e) => [...e.matchAll(/(?<![:a-z_])http_[a-z_]+(?![a-z_:])/g)].map((m) => m[0])));
    expect(used.size).to.be.greaterThan(3);
    for (const name of used) expect(exposed.has(name), name).to.equal(true);
  });

  it("native histograms: the service, with the Deployment's environment, answers the ServiceMonitor's negotiation in protobuf", async function () {
    this.timeout(30_000);
    const manifests = await helmTemplate({ values: { metrics: { nativeHistograms: true } } });
    const monitor = spec<{ scrapeProtocols: string[]; endpoints: { path: string }[] }>(get(manifests, 'ServiceMonitor'));
    const container = spec<{ template: PodTemplate }>(get(manifests, 'Deployment', 'redline')).template.spec.containers[0]!;
    const { PORT: _port, HOST: _host, ...env } = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? '']));
    expect(env.METRICS_NATIVE_HISTOGRAMS).to.equal('true');
    const service = await startService({ env: { ...env, LOG_LEVEL: 'warn' } });
    try {
      const response = await fetch(`${service.url}${monitor.endpoints[0]!.path}`, {
        headers: { accept: acceptHeader(monitor.scrapeProtocols) },
      });
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-type')).to.match(
        /^application\/vnd\.google\.protobuf;\s*proto=io\.prometheus\.client\.MetricFamily;\s*encoding=delimited/,
      );
      expect(Buffer.from(await response.arrayBuffer()).includes('http_request_duration_seconds')).to.equal(true);
    } finally {
      await service.stop();
    }
  });
});
