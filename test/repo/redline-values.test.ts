// charts/redline rendered with k8s/redline-values.yaml, checked against the Prometheus CR that
// kube-prometheus-stack (pinned chart, k8s values) renders: what the cluster would select.
// Also drives smoke's "not selected" diagnosis with the real rendered objects.
import { Ajv } from 'ajv';
import { expect } from 'chai';
import type { Context } from 'mocha';
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { notSelectedReason, type SelectedObject } from '../../scripts/smoke/selectors.ts';
import { helmTemplate, type Manifest } from '../../scripts/lib/helm.ts';
import { findKpsChart, kpsValuesFile, redlineValuesFile, unknownKeys } from '../../scripts/lib/kube-prometheus-stack.ts';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { versions } from '../../scripts/lib/versions.ts';
import type { RuleGroup } from '../../scripts/lib/rules.ts';
import { requireKpsChart } from '../support/kps-chart.ts';

const chart = join(repoRoot, 'charts/redline');
const redlineNamespace = { 'kubernetes.io/metadata.name': 'redline' };

describe('k8s/redline-values.yaml with charts/redline and the kind kube-prometheus-stack', function () {
  this.timeout(60_000);
  let redline: Manifest[];
  let kps: Manifest[] | undefined;
  let prometheus: Manifest;
  const one = (manifests: Manifest[], kind: string) => {
    const found = manifests.filter((m) => m.kind === kind);
    expect(found, kind).to.have.length(1);
    return found[0]!;
  };
  const asObject = (m: Manifest, kind: SelectedObject['kind']): SelectedObject => ({
    kind,
    namespace: m.metadata.namespace ?? 'redline',
    name: m.metadata.name,
    labels: m.metadata.labels ?? {},
    namespaceLabels: redlineNamespace,
  });
  const selectors = (kind: SelectedObject['kind']) => ({
    name: prometheus.metadata.name,
    namespace: prometheus.metadata.namespace!,
    selector: kind === 'ServiceMonitor' ? prometheus.spec!.serviceMonitorSelector : prometheus.spec!.ruleSelector,
    namespaceSelector:
      kind === 'ServiceMonitor' ? prometheus.spec!.serviceMonitorNamespaceSelector : prometheus.spec!.ruleNamespaceSelector,
  });

  before(async function () {
    this.timeout(120_000); // may include the one bounded `helm pull`
    const kpsTgz = findKpsChart().chart;
    [redline, kps] = await Promise.all([
      helmTemplate({ release: 'redline', chart, namespace: 'redline', valuesFiles: [redlineValuesFile] }),
      kpsTgz
        ? helmTemplate({ release: 'kps', chart: kpsTgz, namespace: 'monitoring', valuesFiles: [kpsValuesFile] })
        : Promise.resolve(undefined),
    ]);
    if (kps) prometheus = one(kps, 'Prometheus');
  });
  /** For specs that read the kube-prometheus-stack render: skipped, loudly, without the chart. */
  const needKps = (ctx: Context) => {
    if (!kps) requireKpsChart(ctx);
    return kps!;
  };

  it('uses only keys the chart has', async function () {
    const values = parse(await readFile(redlineValuesFile, 'utf8'));
    const defaults = parse(await readFile(join(chart, 'values.yaml'), 'utf8'));
    expect(unknownKeys(values, defaults)).to.deep.equal([]);
  });

  it('the ServiceMonitor is selected by the Prometheus CR and scrapes every 5s as serviceMonitor/redline/redline/0', function () {
    needKps(this);
    const monitor = one(redline, 'ServiceMonitor');
    expect(notSelectedReason(selectors('ServiceMonitor'), asObject(monitor, 'ServiceMonitor'))).to.equal(undefined);
    // smoke's default scrape pool is serviceMonitor/<namespace>/<name>/<endpoint index>.
    expect(`serviceMonitor/${monitor.metadata.namespace}/${monitor.metadata.name}/0`).to.equal('serviceMonitor/redline/redline/0');
    expect(monitor.spec!.endpoints).to.have.length(1);
    expect(monitor.spec!.endpoints[0]).to.include({ port: 'http', interval: '5s' });
    // The job label is the Service name: smoke's default --job redline.
    const service = redline.find((m) => m.kind === 'Service' && m.metadata.name === 'redline');
    expect(service, 'Service redline').to.not.equal(undefined);
  });

  it('the PrometheusRule is selected by the ruleSelector, with redline.* groups and Redline* alerts', function () {
    needKps(this);
    const rule = one(redline, 'PrometheusRule');
    expect(notSelectedReason(selectors('PrometheusRule'), asObject(rule, 'PrometheusRule'))).to.equal(undefined);
    const groups = rule.spec!.groups as RuleGroup[];
    expect(groups.length).to.be.greaterThan(0);
    for (const group of groups) expect(group.name).to.match(/^redline\./);
    const alerts = groups.flatMap((g) => g.rules.map((r) => r.alert).filter(Boolean));
    expect(alerts.length).to.be.greaterThan(0);
    for (const alert of alerts) expect(alert).to.match(/^Redline/);
  });

  it('the dashboard ConfigMap carries the label the Grafana sidecar watches', function () {
    const grafana = needKps(this).find((m) => m.kind === 'Deployment' && m.metadata.name === 'kps-grafana')!;
    const sidecar = (grafana.spec!.template.spec.containers as { name: string; env: { name: string; value?: string }[] }[]).find(
      (c) => c.name === 'grafana-sc-dashboard',
    )!;
    const env = Object.fromEntries(sidecar.env.map((e) => [e.name, e.value]));
    const dashboards = redline.filter((m) => m.kind === 'ConfigMap' && m.metadata.labels?.[env.LABEL!] === env.LABEL_VALUE);
    expect(dashboards).to.have.length(1);
    expect(Object.keys(dashboards[0]!.data ?? {}).some((k) => k.endsWith('.json'))).to.equal(true);
  });

  it('turns native histograms on: ServiceMonitor fields of the 88.5.3 CRD, a Prometheus (>= 3.8) that honours them, the service and the native dashboard', function () {
    const kpsTgz = requireKpsChart(this);
    const monitor = one(redline, 'ServiceMonitor');
    expect(monitor.spec).to.include({ scrapeNativeHistograms: true, scrapeClassicHistograms: true });
    expect(monitor.spec!.scrapeProtocols[0]).to.equal('PrometheusProto');
    // The CRD's own schema, from the pinned chart. Structural schemas drop unknown fields
    // instead of rejecting them, so every field must also be declared.
    const crdYaml = execFileSync('tar', ['-xzOf', kpsTgz, 'kube-prometheus-stack/charts/crds/crds/crd-servicemonitors.yaml'], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const schema = parse(crdYaml).spec.versions.find((v: { name: string }) => v.name === 'v1').schema.openAPIV3Schema;
    const validate = new Ajv({ strict: false, allErrors: true, validateFormats: false, logger: false }).compile(schema);
    expect(validate(monitor), JSON.stringify(validate.errors)).to.equal(true);
    for (const key of Object.keys(monitor.spec!)) expect(schema.properties.spec.properties, `spec.${key}`).to.have.property(key);
    // The operator passes scrapeNativeHistograms on to Prometheus >= 3.8 only.
    const [major, minor] = (/^v?(\d+)\.(\d+)/.exec(String(prometheus.spec!.version)) ?? []).slice(1).map(Number);
    expect(major! > 3 || (major === 3 && minor! >= 8), `Prometheus ${prometheus.spec!.version}`).to.equal(true);
    expect(prometheus.spec!.enableFeatures ?? [], 'no obsolete native-histograms flag').to.not.include('native-histograms');
    const deployment = one(
      redline.filter((m) => m.metadata.name === 'redline'),
      'Deployment',
    );
    const env = deployment.spec!.template.spec.containers[0].env as { name: string; value?: string }[];
    expect(env).to.deep.include({ name: 'METRICS_NATIVE_HISTOGRAMS', value: 'true' });
    const dashboard = one(redline, 'ConfigMap').data!['redline.json']!;
    // The dashboard reads recorded series; the rules it reads compute them from the native histogram.
    expect(dashboard).to.include('namespace_job_route:http_request_duration_seconds:quantile_rate5m').and.not.include('_bucket');
    const rules = JSON.stringify(one(redline, 'PrometheusRule').spec);
    expect(rules).to.include('rate(http_request_duration_seconds{').and.not.include('http_request_duration_seconds_bucket');
  });

  it('PROMETHEUS_VERSION in versions.env (what GitHub CI tests on) is the Prometheus the pinned kube-prometheus-stack runs', function () {
    requireKpsChart(this);
    // The chart's tag carries an image variant suffix (v3.14.0-distroless); the release is the same.
    expect(/^v?(\d+\.\d+\.\d+)/.exec(String(prometheus.spec!.version))?.[1]).to.equal(versions.PROMETHEUS_VERSION);
  });

  it('runs the loaded redline:dev image, never pulled, with the load generator on', function () {
    const deployments = redline.filter((m) => m.kind === 'Deployment');
    expect(deployments.length).to.equal(2);
    for (const deployment of deployments) {
      for (const container of deployment.spec!.template.spec.containers as { image: string; imagePullPolicy: string }[]) {
        expect(container).to.include({ image: 'redline:dev', imagePullPolicy: 'Never' });
      }
    }
  });

  it("smoke's diagnosis names the mismatch when the labels are for another release", async function () {
    needKps(this);
    const other = await helmTemplate({
      release: 'redline',
      chart,
      namespace: 'redline',
      valuesFiles: [redlineValuesFile],
      values: { monitoring: { selectorLabels: { release: 'prometheus' } } },
    });
    const monitor = asObject(one(other, 'ServiceMonitor'), 'ServiceMonitor');
    expect(notSelectedReason(selectors('ServiceMonitor'), monitor)).to.equal(
      'ServiceMonitor not selected: Prometheus selects release=kps, ServiceMonitor redline/redline has release=prometheus',
    );
    const rule = asObject(one(other, 'PrometheusRule'), 'PrometheusRule');
    expect(notSelectedReason(selectors('PrometheusRule'), rule)).to.match(
      /^PrometheusRule not selected: Prometheus selects release=kps, PrometheusRule redline\/\S+ has release=prometheus$/,
    );
  });
});
