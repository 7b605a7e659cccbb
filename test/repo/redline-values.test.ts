// charts/redline rendered with k8s/redline-values.yaml, checked against the Prometheus CR that
// kube-prometheus-stack (pinned chart, k8s values) renders: what the cluster would select.
// Also drives smoke's "not selected" diagnosis with the real rendered objects.
import { expect } from 'chai';
import type { Context } from 'mocha';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { notSelectedReason, type SelectedObject } from '../../scripts/smoke/selectors.ts';
import { helmTemplate, type Manifest } from '../../scripts/lib/helm.ts';
import { findKpsChart, kpsValuesFile, redlineValuesFile, unknownKeys } from '../../scripts/lib/kube-prometheus-stack.ts';
import { repoRoot } from '../../scripts/lib/paths.ts';
import type { RuleGroup } from '../../scripts/rules.ts';
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
    kind, namespace: m.metadata.namespace ?? 'redline', name: m.metadata.name, labels: m.metadata.labels ?? {}, namespaceLabels: redlineNamespace,
  });
  const selectors = (kind: SelectedObject['kind']) => ({
    name: prometheus.metadata.name,
    namespace: prometheus.metadata.namespace!,
    selector: kind === 'ServiceMonitor' ? prometheus.spec!.serviceMonitorSelector : prometheus.spec!.ruleSelector,
    namespaceSelector: kind === 'ServiceMonitor' ? prometheus.spec!.serviceMonitorNamespaceSelector : prometheus.spec!.ruleNamespaceSelector,
  });

  before(async function () {
    this.timeout(120_000); // may include the one bounded `helm pull`
    const kpsTgz = findKpsChart().chart;
    [redline, kps] = await Promise.all([
      helmTemplate({ release: 'redline', chart, namespace: 'redline', valuesFiles: [redlineValuesFile] }),
      kpsTgz ? helmTemplate({ release: 'kps', chart: kpsTgz, namespace: 'monitoring', valuesFiles: [kpsValuesFile] }) : Promise.resolve(undefined),
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
    const sidecar = (grafana.spec!.template.spec.containers as { name: string; env: { name: string; value?: string }[] }[])
      .find((c) => c.name === 'grafana-sc-dashboard')!;
    const env = Object.fromEntries(sidecar.env.map((e) => [e.name, e.value]));
    const dashboards = redline.filter((m) => m.kind === 'ConfigMap' && m.metadata.labels?.[env.LABEL!] === env.LABEL_VALUE);
    expect(dashboards).to.have.length(1);
    expect(Object.keys(dashboards[0]!.data ?? {}).some((k) => k.endsWith('.json'))).to.equal(true);
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

  it('smoke\'s diagnosis names the mismatch when the labels are for another release', async function () {
    needKps(this);
    const other = await helmTemplate({
      release: 'redline', chart, namespace: 'redline', valuesFiles: [redlineValuesFile], values: { monitoring: { selectorLabels: { release: 'prometheus' } } },
    });
    const monitor = asObject(one(other, 'ServiceMonitor'), 'ServiceMonitor');
    expect(notSelectedReason(selectors('ServiceMonitor'), monitor)).to.equal(
      'ServiceMonitor not selected: Prometheus selects release=kps, ServiceMonitor redline/redline has release=prometheus');
    const rule = asObject(one(other, 'PrometheusRule'), 'PrometheusRule');
    expect(notSelectedReason(selectors('PrometheusRule'), rule)).to.match(
      /^PrometheusRule not selected: Prometheus selects release=kps, PrometheusRule redline\/\S+ has release=prometheus$/);
  });
});
