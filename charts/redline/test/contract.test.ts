// The chart against the service's code: the metric names its rules and dashboard read, and
// the latency thresholds its schema accepts, come from the metrics the service registers; with
// metrics.nativeHistograms, the service started with the Deployment's environment answers the
// ServiceMonitor's protocol negotiation in protobuf, the only format with native histograms.
// And one source for RED: the rendered recording rules write every RED expression, and the
// dashboard and the local summary read only series they record (the smoke's queries, sent to
// a Prometheus with data, are held to the same in dashboard-queries.test.ts), so there is
// nothing to keep in step. Prometheus 3 itself parses every query.
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { redlineDashboard } from '../../../dashboards/redline.ts';
import { CHART_DIR, helmTemplate } from '../../../scripts/lib/helm.ts';
import { renderRuleGroups } from '../../../scripts/lib/rules.ts';
import { DEFAULT_BUCKETS, RedMetrics } from '@redline/red-metrics';
import { startService } from '../../../scripts/lib/service-process.ts';
import { redQueries } from '../../../scripts/lib/red-summary.ts';
import { prometheusInstall } from '../../../scripts/lib/prometheus-versions.ts';
import { type RunningPrometheus, startPrometheus } from '../../../scripts/lib/prometheus-server.ts';
import { contentPanels, interpolate, panelQueries, variables } from '../../../test/support/chart/dashboard.ts';
import { labelValuesSelector, RAW_READS, type Reader, seriesRead, shapeOf, unlisted } from '../../../test/support/chart/red-source.ts';
import { VALUES_DIR } from '../../../test/support/chart/values.ts';
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
  it('accepts exactly the histogram bucket boundaries as the latency threshold with classic buckets', async () => {
    const schema = JSON.parse(await readFile(join(CHART_DIR, 'values.schema.json'), 'utf8'));
    // With classic buckets only (the schema's `if` on metrics.nativeHistograms): as numbers, and
    // as the strings `--set` gives (0.25 stays "0.25"). Native histograms take any threshold.
    const classic = (
      schema.allOf as {
        if: unknown;
        then: { properties: { slo: { properties: { latency: { properties: { thresholdSeconds: { enum: unknown[] } } } } } } };
      }[]
    )
      .map((rule) => rule.then.properties?.slo?.properties?.latency?.properties?.thresholdSeconds?.enum)
      .find(Boolean);
    expect(classic).to.deep.equal([...DEFAULT_BUCKETS, ...DEFAULT_BUCKETS.map(String)]);
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

/** Values Grafana would substitute; 5m stands for $__rate_interval, which only the raw CPU panel uses. */
const VARIABLES = { namespace: 'local', job: 'redline', route: '.+', __rate_interval: '5m' };

/** Every query the dashboard sends: its panels' and its variables' label_values() selectors. */
function dashboardExprs(nativeHistograms: boolean): string[] {
  const dashboard = redlineDashboard({ nativeHistograms });
  const ofVariables = variables(dashboard).flatMap((v) => labelValuesSelector(v.definition ?? '') ?? []);
  return [...panelQueries(dashboard).map((q) => q.expr), ...ofVariables];
}

const summaryExprs = () => Object.values(redQueries('namespace="local",job="redline"'));

describe('chart: one source for RED (the rules record, the dashboard and the local summary read)', function () {
  this.timeout(60_000);
  let prometheus: RunningPrometheus;

  before(async () => {
    const install = prometheusInstall(3);
    if (!install) throw new Error('Prometheus 3.x is not installed: run `make bootstrap`');
    prometheus = await startPrometheus({ binary: install.prometheus });
  });

  after(async () => prometheus?.stop());

  /** What the reader's expressions read that the rules do not record and no raw read lists. */
  async function unrecorded(reader: Reader, exprs: string[], groups: Awaited<ReturnType<typeof renderRuleGroups>>) {
    const problems: string[] = [];
    for (const expr of exprs)
      problems.push(...unlisted(reader, expr, await seriesRead(prometheus.url, interpolate(expr, VARIABLES)), groups));
    return problems;
  }

  for (const set of [
    { name: 'default', files: [] },
    { name: 'custom SLOs', files: [join(VALUES_DIR, 'slo-custom.yaml')] },
    { name: 'other RED windows and quantiles', files: [join(VALUES_DIR, 'red-custom.yaml')] },
  ]) {
    for (const nativeHistograms of [false, true]) {
      it(`every dashboard and summary query reads recorded series or is a listed raw read (values: ${set.name}, ${nativeHistograms ? 'native' : 'classic'} histograms)`, async () => {
        const groups = await renderRuleGroups({ valuesFiles: set.files, values: { metrics: { nativeHistograms } } });
        expect(await unrecorded('dashboard', dashboardExprs(nativeHistograms), groups)).to.deep.equal([]);
        expect(await unrecorded('summary', summaryExprs(), groups)).to.deep.equal([]);
      });
    }
  }

  it("reads raw series only in the listed expressions, each still sent, none of them RED (the rules' inputs)", async () => {
    const shapes = new Set([...dashboardExprs(false), ...dashboardExprs(true)].map(shapeOf));
    for (const raw of RAW_READS.dashboard) expect(shapes.has(raw.shape), `${raw.shape} (listed, not sent)`).to.equal(true);
    const groups = await renderRuleGroups();
    const redInputs = new Set<string>();
    for (const rule of groups.flatMap((g) => g.rules).filter((r) => r.record)) {
      for (const read of await seriesRead(prometheus.url, rule.expr)) if (!read.metric.includes(':')) redInputs.add(read.metric);
    }
    expect([...redInputs]).to.include.members(['http_requests_total', 'http_request_errors_total']);
    for (const raw of [...RAW_READS.dashboard, ...RAW_READS.summary].filter((r) => !r.exemplars)) {
      for (const read of await seriesRead(prometheus.url, interpolate(raw.shape, VARIABLES)))
        expect(redInputs.has(read.metric), `${raw.shape} reads ${read.metric}, an input of the RED rules`).to.equal(false);
    }
    // A read of a RED input for its exemplars is allowed only where the panel asks for them.
    for (const raw of RAW_READS.dashboard.filter((r) => r.exemplars)) {
      const targets = [false, true].flatMap((nativeHistograms) =>
        contentPanels(redlineDashboard({ nativeHistograms })).flatMap(
          (panel) => (panel.targets ?? []) as { expr?: string; exemplar?: boolean }[],
        ),
      );
      const sent = targets.filter((t) => t.expr !== undefined && shapeOf(t.expr) === raw.shape);
      expect(sent, raw.shape).to.have.length.greaterThan(0);
      for (const target of sent) expect(target.exemplar, `${raw.shape} asks for exemplars`).to.equal(true);
    }
  });

  it('the check can fail: a RED expression written again, a window or a quantile the rules do not record', async () => {
    const groups = await renderRuleGroups();
    const sel = 'namespace="$namespace", job="$job"';
    const problems = await unrecorded(
      'dashboard',
      [
        `sum by (route) (rate(http_requests_total{${sel}}[5m]))`,
        `namespace_job_route:http_requests:rate2m{${sel}}`,
        `namespace_job_route:http_request_duration_seconds:quantile_rate5m{${sel}, quantile="0.9"}`,
        `namespace_job:slo_errors:ratio_rate1h{${sel}, slo="throughput"}`,
      ],
      groups,
    );
    expect(problems).to.have.length(4);
    expect(problems[0]).to.include('http_requests_total is not recorded');
    expect(problems[1]).to.include('namespace_job_route:http_requests:rate2m is not recorded');
    expect(problems[2]).to.match(/quantile="0\.9"\} matches none of the recorded .* series \(labels \{"quantile":"0\.5"\}/);
    expect(problems[3]).to.include('slo="throughput"');
  });
});
