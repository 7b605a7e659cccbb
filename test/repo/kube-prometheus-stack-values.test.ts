// k8s/kube-prometheus-stack-values.yaml against the real, pinned kube-prometheus-stack chart:
// its keys exist in the chart, and `helm template` shows what the values promise. Without the
// chart (offline, not pulled) the keys are checked against the committed key list and the
// render specs are skipped with a banner.
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { loadValues } from '../support/chart/values.ts';
import type { RuleGroup } from '../../scripts/lib/rules.ts';
import { parseDuration } from '../../service/src/duration.ts';
import { helmTemplate, type Manifest } from '../../scripts/lib/helm.ts';
import {
  chartDefaults,
  findKpsChart,
  KPS_CHART_NAME,
  KPS_VERSION,
  kpsValuesFile,
  kpsValuesKeys,
  kpsValuesKeysFile,
  unknownKeys,
  type ValuesKeys,
} from '../../scripts/lib/kube-prometheus-stack.ts';
import { requireKpsChart } from '../support/kps-chart.ts';

describe('kube-prometheus-stack values for kind (helm template of the pinned 88.5.3 chart)', function () {
  this.timeout(60_000);
  let manifests: Manifest[];
  let chart: string | undefined;
  const byKind = (kind: string) => manifests.filter((m) => m.kind === kind);

  before(async function () {
    this.timeout(120_000); // may include the one bounded `helm pull`
    chart = findKpsChart().chart;
    if (chart) manifests = await helmTemplate({ release: 'kps', chart, namespace: 'monitoring', valuesFiles: [kpsValuesFile] });
  });
  // Every spec below reads the render: skipped, loudly, without the chart.
  beforeEach(function () {
    if (!chart && !this.currentTest?.title.startsWith('keys:')) requireKpsChart(this);
  });

  it('keys: uses only keys the chart and its subcharts have (helm show values, else the committed key list)', async function () {
    const values = parse(await readFile(kpsValuesFile, 'utf8'));
    let defaults: unknown;
    if (chart) {
      defaults = await chartDefaults(chart);
    } else {
      const committed = JSON.parse(await readFile(kpsValuesKeysFile, 'utf8')) as ValuesKeys;
      expect(committed.version).to.equal(KPS_VERSION);
      defaults = committed.keys;
      console.warn(`      (no ${KPS_CHART_NAME}: checked against the committed key list ${kpsValuesKeysFile}, not the chart)`);
    }
    expect(unknownKeys(values, defaults)).to.deep.equal([]);
    // The check itself: a misspelt key is caught.
    expect(unknownKeys({ kubeProxy: { enabeld: false } }, defaults)).to.deep.equal(['kubeProxy.enabeld']);
  });

  it("keys: the committed key list is the pinned chart's (make kps-values-keys regenerates it)", async function () {
    if (!chart) requireKpsChart(this);
    const committed = JSON.parse(await readFile(kpsValuesKeysFile, 'utf8')) as ValuesKeys;
    expect(committed).to.deep.equal(await kpsValuesKeys(chart!));
  });

  it('drops the scrapes that are always down on kind, and their rules and alerts', function () {
    const monitors = byKind('ServiceMonitor')
      .map((m) => m.metadata.name)
      .join(' ');
    expect(monitors).to.not.match(/etcd|scheduler|controller-manager|kube-proxy/);
    expect(monitors)
      .to.match(/kubelet/)
      .and.match(/apiserver/); // the rest stays
    const groups = byKind('PrometheusRule').flatMap((r) => r.spec!.groups as RuleGroup[]);
    const alerts = groups.flatMap((g) => g.rules.map((r) => r.alert).filter(Boolean));
    expect(groups.map((g) => g.name).join(' ')).to.not.match(/etcd|kube-scheduler|controller-manager|kube-proxy/);
    expect(alerts).to.not.include.members(['KubeProxyDown', 'KubeSchedulerDown', 'KubeControllerManagerDown', 'etcdMembersDown']);
    expect(alerts).to.include('Watchdog');
    const services = byKind('Service')
      .map((s) => s.metadata.name)
      .join(' ');
    expect(services).to.not.match(/etcd|scheduler|controller-manager|kube-proxy/);
  });

  it('keeps 3d, the longest window a redline alert reads, bounded to 2GB on disk and 1Gi in memory', async function () {
    const [prometheus] = byKind('Prometheus');
    expect(prometheus!.spec!.retention).to.equal('3d');
    expect(prometheus!.spec!.retentionSize).to.equal('2GB');
    // Every burn-rate window of the chart's default values fits in the retention.
    const windows = (await loadValues()).slo.burnRates.flatMap((b) => [b.longWindow, b.shortWindow]);
    expect(Math.max(...windows.map(parseDuration))).to.be.at.most(parseDuration(prometheus!.spec!.retention));
    expect(prometheus!.spec!.resources).to.deep.equal({ requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } });
    for (const deployment of byKind('Deployment')) {
      for (const container of deployment.spec!.template.spec.containers as {
        name: string;
        resources?: { limits?: { memory?: string } };
      }[]) {
        if (container.name.startsWith('grafana-sc-')) continue; // the sidecars keep the chart's own small defaults
        expect(container.resources?.limits?.memory, `${deployment.metadata.name}/${container.name}`).to.match(/^\d+Mi$/);
      }
    }
  });

  it('stores exemplars (the trace ids of the latency buckets), bounded', function () {
    const [prometheus] = byKind('Prometheus');
    expect(prometheus!.spec!.enableFeatures).to.include('exemplar-storage');
    expect(prometheus!.spec!.exemplars).to.deep.equal({ maxSize: 100000 });
  });

  it('selects ServiceMonitors and PrometheusRules labelled release=kps in every namespace', function () {
    const [prometheus] = byKind('Prometheus');
    expect(prometheus!.spec!.serviceMonitorSelector).to.deep.equal({ matchLabels: { release: 'kps' } });
    expect(prometheus!.spec!.ruleSelector).to.deep.equal({ matchLabels: { release: 'kps' } });
    expect(prometheus!.spec!.serviceMonitorNamespaceSelector).to.deep.equal({});
    expect(prometheus!.spec!.ruleNamespaceSelector).to.deep.equal({});
  });

  it('has the Services, Secret and sidecar settings that the Makefile and smoke rely on', function () {
    // smoke port-forwards to the Service it finds by these labels, port http-web.
    const prometheusService = byKind('Service').find(
      (s) => s.metadata.labels?.app === 'kube-prometheus-stack-prometheus' && s.metadata.labels?.release === 'kps',
    );
    expect(prometheusService?.metadata.name).to.equal('kps-kube-prometheus-stack-prometheus'); // make prometheus, e2e dump
    expect(prometheusService!.spec!.ports).to.deep.include({ name: 'http-web', port: 9090, targetPort: 9090 });
    // make grafana: svc/kps-grafana port 80 and the Secret kps-grafana with admin-user/admin-password.
    const grafanaService = byKind('Service').find((s) => s.metadata.name === 'kps-grafana');
    expect(grafanaService!.spec!.ports.map((p: { port: number }) => p.port)).to.include(80);
    const secret = byKind('Secret').find((s) => s.metadata.name === 'kps-grafana');
    expect(Object.keys(secret?.data ?? {})).to.include.members(['admin-user', 'admin-password']);
    // The dashboard sidecar watches ConfigMaps labelled grafana_dashboard=1 in all namespaces.
    const grafana = byKind('Deployment').find((d) => d.metadata.name === 'kps-grafana')!;
    const sidecar = (grafana.spec!.template.spec.containers as { name: string; env: { name: string; value?: string }[] }[]).find(
      (c) => c.name === 'grafana-sc-dashboard',
    )!;
    const env = Object.fromEntries(sidecar.env.map((e) => [e.name, e.value]));
    expect(env).to.include({ LABEL: 'grafana_dashboard', LABEL_VALUE: '1', NAMESPACE: 'ALL' });
  });
});
