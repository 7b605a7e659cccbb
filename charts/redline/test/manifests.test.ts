// helm lint --strict and helm template over several value sets; every rendered manifest
// validated against the Kubernetes and prometheus-operator schemas; invalid values rejected.
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CHART_DIR, helmInstallDryRun, helmLint, helmTemplate, HelmError, type Manifest } from '../../../scripts/lib/helm.ts';
import { find, get, spec, type PodTemplate } from '../../../test/support/chart/manifests.ts';
import { validateManifest } from '../../../test/support/chart/models.ts';
import { VALUES_DIR } from '../../../test/support/chart/values.ts';

const valueSets: { name: string; files: string[]; check: (manifests: Manifest[]) => void }[] = [
  {
    name: 'default',
    files: [],
    check(m) {
      expect(m.map((x) => x.kind).sort()).to.deep.equal(
        ['ConfigMap', 'Deployment', 'Pod', 'PrometheusRule', 'Service', 'ServiceAccount', 'ServiceMonitor'].sort(),
      );
      expect(spec<{ replicas: number }>(get(m, 'Deployment')).replicas).to.equal(2);
      // Classic histograms only: nothing a Prometheus 2.x cannot scrape.
      expect(spec<object>(get(m, 'ServiceMonitor'))).to.not.have.any.keys(
        'scrapeNativeHistograms',
        'scrapeProtocols',
        'scrapeClassicHistograms',
      );
      expect(spec<{ template: PodTemplate }>(get(m, 'Deployment', 'redline')).template.spec.containers[0]!.env).to.deep.include({
        name: 'METRICS_NATIVE_HISTOGRAMS',
        value: 'false',
      });
      const alerts = spec<{ groups: { rules: { alert?: string }[] }[] }>(get(m, 'PrometheusRule'))
        .groups.flatMap((g) => g.rules)
        .map((r) => r.alert);
      expect(alerts).to.include('RedlineTargetDown');
    },
  },
  {
    name: 'ServiceMonitor off',
    files: ['service-monitor-off.yaml'],
    check(m) {
      expect(find(m, 'ServiceMonitor')).to.equal(undefined);
      // No scrape job of this name is guaranteed: absent(up{...}) would fire forever.
      const alerts = spec<{ groups: { rules: { alert?: string }[] }[] }>(get(m, 'PrometheusRule'))
        .groups.flatMap((g) => g.rules)
        .map((r) => r.alert)
        .filter(Boolean);
      expect(alerts).to.not.include('RedlineTargetDown');
      expect(alerts).to.include.members(['RedlineAvailabilityErrorBudgetBurn', 'RedlineLatencyErrorBudgetBurn']);
    },
  },
  {
    name: 'alerts off',
    files: ['alerts-off.yaml'],
    check(m) {
      const groups = spec<{ groups: { name: string; rules: { alert?: string; record?: string }[] }[] }>(get(m, 'PrometheusRule')).groups;
      expect(groups.map((g) => g.name)).to.deep.equal(['redline.red', 'redline.slo']);
      expect(groups.flatMap((g) => g.rules).filter((r) => r.alert)).to.be.empty;
    },
  },
  {
    name: 'custom labels',
    files: ['custom-labels.yaml'],
    check(m) {
      for (const manifest of m) expect(manifest.metadata.labels, `${manifest.kind} labels`).to.include({ team: 'shop' });
      expect(get(m, 'ServiceMonitor').metadata.labels)
        .to.include({ prometheus: 'platform', scrape: 'fast' })
        .and.not.have.property('release');
      expect(get(m, 'PrometheusRule').metadata.labels).to.include({ prometheus: 'platform', rules: 'slo' });
      expect(spec<{ namespaceSelector: unknown }>(get(m, 'ServiceMonitor')).namespaceSelector).to.deep.equal({ any: true });
      const dashboard = get(m, 'ConfigMap', 'shop-redline-dashboard');
      expect(dashboard.metadata.namespace).to.equal('monitoring');
      expect(dashboard.metadata.labels).to.include({ grafana_dashboard: '1', dashboards: 'shop' });
      expect(dashboard.metadata.annotations).to.deep.equal({ grafana_folder: 'Shop' });
      const alerts = spec<{
        groups: { rules: { alert?: string; labels?: Record<string, string>; annotations?: Record<string, string> }[] }[];
      }>(get(m, 'PrometheusRule'))
        .groups.flatMap((g) => g.rules)
        .filter((r) => r.alert);
      for (const alert of alerts) {
        expect(alert.labels).to.include({ team: 'shop' });
        expect(alert.annotations?.runbook_url).to.equal(`https://runbooks.example.com/redline.md#${alert.alert!.toLowerCase()}`);
      }
      // The job label the rules select on is the Service name.
      expect(JSON.stringify(get(m, 'PrometheusRule').spec)).to.include('job=\\"shop-redline\\"');
    },
  },
  {
    name: 'HPA on',
    files: ['hpa-on.yaml'],
    check(m) {
      const hpa = spec<{ minReplicas: number; maxReplicas: number; scaleTargetRef: { name: string } }>(get(m, 'HorizontalPodAutoscaler'));
      expect(hpa).to.include({ minReplicas: 2, maxReplicas: 5 });
      expect(hpa.scaleTargetRef.name).to.equal(get(m, 'Deployment').metadata.name);
      expect(spec<object>(get(m, 'Deployment'))).to.not.have.property('replicas');
      expect(find(m, 'PodDisruptionBudget')).to.not.equal(undefined);
    },
  },
  {
    name: 'NetworkPolicy on',
    files: ['network-policy-on.yaml'],
    check(m) {
      const policy = spec<{ ingress: { ports: { port: string }[]; from: object[] }[] }>(get(m, 'NetworkPolicy'));
      expect(policy.ingress[0]!.ports).to.deep.equal([{ port: 'http', protocol: 'TCP' }]);
      expect(policy.ingress[0]!.from).to.deep.include({
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
      });
      expect(policy.ingress[0]!.from).to.deep.include({ ipBlock: { cidr: '10.0.0.0/8' } });
    },
  },
  {
    name: 'loadgen on',
    files: ['loadgen-on.yaml'],
    check(m) {
      const loadgen = spec<{ template: PodTemplate }>(get(m, 'Deployment', 'redline-loadgen')).template.spec.containers[0]!;
      expect(loadgen.command).to.deep.equal([
        'node',
        'service/src/loadgen/main.ts',
        '--target',
        'http://redline:8080',
        '--rate',
        '20',
        '--duration',
        '0',
      ]);
      const env = spec<{ template: PodTemplate }>(get(m, 'Deployment', 'redline')).template.spec.containers[0]!.env;
      expect(env).to.deep.include({ name: 'SIM_ERROR_RATE', value: '0.05' });
      expect(env).to.deep.include({ name: 'SIM_LATENCY_FACTOR', value: '2' });
    },
  },
  { name: 'custom SLOs', files: ['slo-custom.yaml'], check: () => {} },
  {
    name: 'native histograms',
    files: ['native-histograms.yaml'],
    check(m) {
      const monitor = spec<Record<string, unknown>>(get(m, 'ServiceMonitor'));
      expect(monitor).to.include({ scrapeNativeHistograms: true, scrapeClassicHistograms: true });
      expect(monitor.scrapeProtocols).to.deep.equal([
        'PrometheusProto',
        'OpenMetricsText1.0.0',
        'OpenMetricsText0.0.1',
        'PrometheusText1.0.0',
        'PrometheusText0.0.4',
      ]);
      const env = spec<{ template: PodTemplate }>(get(m, 'Deployment', 'redline')).template.spec.containers[0]!.env;
      expect(env).to.deep.include({ name: 'METRICS_NATIVE_HISTOGRAMS', value: 'true' });
    },
  },
  {
    name: 'exposed: own ports, Ingress, HTTPRoute, NetworkPolicy, envFrom, volumes, ServiceMonitor options',
    files: ['exposed.yaml'],
    check(m) {
      const pod = spec<{ template: PodTemplate }>(get(m, 'Deployment', 'redline')).template.spec as PodTemplate['spec'] & {
        volumes: { name: string; configMap?: { name: string } }[];
      };
      const container = pod.containers[0]! as PodTemplate['spec']['containers'][number] & { envFrom?: unknown[] };
      expect(container.ports).to.deep.equal([
        { name: 'http', containerPort: 9000, protocol: 'TCP' },
        { name: 'metrics', containerPort: 9100, protocol: 'TCP' },
      ]);
      expect(container.env).to.deep.include.members([
        { name: 'PORT', value: '9000' },
        { name: 'METRICS_PORT', value: '9100' },
      ]);
      expect(container.readinessProbe?.httpGet).to.deep.equal({ path: '/readyz', port: 'http' });
      expect(container.envFrom).to.deep.equal([{ secretRef: { name: 'redline-admin' } }]);
      expect(container.volumeMounts).to.deep.include({ name: 'ca', mountPath: '/etc/ssl/extra', readOnly: true });
      expect(pod.volumes).to.deep.include({ name: 'ca', configMap: { name: 'ca-bundle' } });
      expect(container.resources).to.deep.equal({ requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } });

      expect(spec<{ ports: unknown[] }>(get(m, 'Service')).ports).to.deep.equal([
        { name: 'http', port: 9000, targetPort: 'http', protocol: 'TCP' },
        { name: 'metrics', port: 9100, targetPort: 'metrics', protocol: 'TCP' },
      ]);
      const monitor = get(m, 'ServiceMonitor');
      expect(monitor.metadata.annotations).to.deep.equal({ owner: 'platform' });
      const monitorSpec = spec<{ targetLabels: string[]; endpoints: Record<string, unknown>[] }>(monitor);
      expect(monitorSpec.targetLabels).to.deep.equal(['team']);
      expect(monitorSpec.endpoints[0]).to.include({ port: 'metrics', honorLabels: true });
      expect(monitorSpec.endpoints[0]!.relabelings).to.deep.equal([
        { sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'node' },
      ]);

      // The API port from this namespace and Prometheus' namespace; /metrics from Prometheus'
      // namespace and the helm test Pod only.
      const policy = spec<{ ingress: { ports: { port: string }[]; from: object[] }[] }>(get(m, 'NetworkPolicy'));
      const monitoringNamespace = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } };
      expect(policy.ingress.map((rule) => rule.ports.map((p) => p.port))).to.deep.equal([['http'], ['metrics']]);
      expect(policy.ingress[0]!.from).to.deep.equal([{ podSelector: {} }, monitoringNamespace]);
      expect(policy.ingress[1]!.from).to.deep.equal([
        { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'redline-test', 'app.kubernetes.io/instance': 'redline' } } },
        monitoringNamespace,
      ]);
      const testPod = get(m, 'Pod', 'redline-test-service');
      expect(testPod.metadata.labels).to.include({ 'app.kubernetes.io/name': 'redline-test', 'app.kubernetes.io/instance': 'redline' });
      expect(spec<{ containers: { env: unknown[] }[] }>(testPod).containers[0]!.env).to.deep.equal([
        { name: 'REDLINE_URL', value: 'http://redline.default.svc:9000' },
        { name: 'REDLINE_METRICS_URL', value: 'http://redline.default.svc:9100' },
      ]);

      const ingress = get(m, 'Ingress');
      expect(ingress.metadata.annotations).to.deep.equal({ 'cert-manager.io/cluster-issuer': 'letsencrypt' });
      expect(spec<object>(ingress)).to.deep.equal({
        ingressClassName: 'nginx',
        tls: [{ secretName: 'shop-tls', hosts: ['shop.example.com'] }],
        rules: [
          {
            host: 'shop.example.com',
            http: { paths: [{ path: '/api', pathType: 'Prefix', backend: { service: { name: 'redline', port: { name: 'http' } } } }] },
          },
        ],
      });
      const route = spec<{ parentRefs: unknown[]; hostnames: string[]; rules: Record<string, unknown>[] }>(get(m, 'HTTPRoute'));
      expect(route.parentRefs).to.deep.equal([{ name: 'shared', namespace: 'gateway', sectionName: 'https' }]);
      expect(route.hostnames).to.deep.equal(['shop.example.com']);
      expect(route.rules).to.have.length(2);
      for (const rule of route.rules) expect(rule.backendRefs).to.deep.equal([{ name: 'redline', port: 9000 }]);
      expect(route.rules[0]!.matches).to.deep.equal([{ path: { type: 'PathPrefix', value: '/api' } }]);
      expect(route.rules[0]!.filters).to.deep.equal([
        { type: 'RequestHeaderModifier', requestHeaderModifier: { add: [{ name: 'X-Served-By', value: 'redline' }] } },
      ]);
      expect(route.rules[1]).to.not.have.property('filters');
    },
  },
  {
    name: 'AlertmanagerConfig and alert links (alertmanager-config.yaml)',
    files: ['alertmanager-config.yaml'],
    check(m) {
      const config = spec<{
        route: { receiver: string; groupBy: string[]; matchers: unknown[]; routes: { receiver: string; matchers: unknown[] }[] };
        inhibitRules: { sourceMatch: unknown[]; targetMatch: unknown[]; equal: string[] }[];
        receivers: { name: string }[];
      }>(get(m, 'AlertmanagerConfig'));
      expect(get(m, 'AlertmanagerConfig').metadata.labels).to.include({ release: 'kube-prometheus-stack' });
      expect(config.route.groupBy).to.deep.equal(['alertname', 'slo']);
      expect(config.route.matchers).to.deep.equal([{ name: 'job', value: 'redline', matchType: '=' }]);
      expect(config.route.routes).to.deep.equal([
        { receiver: 'page', matchers: [{ name: 'severity', value: 'critical', matchType: '=' }] },
        { receiver: 'ticket', matchers: [{ name: 'severity', value: 'warning', matchType: '=' }] },
      ]);
      expect(config.inhibitRules).to.deep.equal([
        {
          sourceMatch: [{ name: 'severity', value: 'critical', matchType: '=' }],
          targetMatch: [{ name: 'severity', value: 'warning', matchType: '=' }],
          equal: ['namespace', 'job', 'slo'],
        },
      ]);
      expect(config.receivers.map((r) => r.name)).to.deep.equal(['page', 'ticket']);
      const alerts = spec<{
        groups: { rules: { alert?: string; labels?: Record<string, string>; annotations?: Record<string, string> }[] }[];
      }>(get(m, 'PrometheusRule')).groups.flatMap((g) => g.rules.filter((r) => r.alert?.endsWith('ErrorBudgetBurn')));
      for (const alert of alerts) {
        const panel = alert.labels!.severity === 'critical' ? 10 : 11;
        expect(alert.annotations!.dashboard_url).to.equal(
          `https://grafana.example.com/d/redline-red/redline?var-namespace=default&var-job=redline&from=now-${alert.labels!.long_window}&to=now&viewPanel=${panel}`,
        );
      }
    },
  },
  {
    name: 'kind (k8s/redline-values.yaml)',
    files: [join(CHART_DIR, '..', '..', 'k8s', 'redline-values.yaml')],
    check(m) {
      expect(find(m, 'Deployment', 'redline-loadgen')).to.not.equal(undefined);
      expect(spec<{ template: PodTemplate }>(get(m, 'Deployment', 'redline')).template.spec.containers[0]!.image).to.equal('redline:dev');
    },
  },
];

const resolve = (file: string) => (file.startsWith('/') ? file : join(VALUES_DIR, file));

describe('chart: lint, render and schemas', function () {
  this.timeout(30_000);

  for (const set of valueSets) {
    describe(`values: ${set.name}`, () => {
      const valuesFiles = set.files.map(resolve);
      let manifests: Manifest[];
      before(async () => {
        manifests = await helmTemplate({ valuesFiles });
      });

      it('passes helm lint --strict', async () => {
        const output = await helmLint({ valuesFiles });
        expect(output).to.match(/1 chart\(s\) linted, 0 chart\(s\) failed/);
      });

      it('renders manifests that validate against the Kubernetes, prometheus-operator and Gateway API schemas', () => {
        expect(manifests).to.not.be.empty;
        for (const manifest of manifests) validateManifest(manifest);
      });

      it('labels everything with the standard app.kubernetes.io labels', () => {
        for (const manifest of manifests) {
          expect(manifest.metadata.labels, `${manifest.kind} ${manifest.metadata.name}`).to.include.keys(
            'app.kubernetes.io/name',
            'app.kubernetes.io/instance',
            'app.kubernetes.io/version',
            'app.kubernetes.io/managed-by',
            'helm.sh/chart',
          );
        }
      });

      it('renders what these values ask for', () => set.check(manifests));
    });
  }

  it('the schema check can fail: an HTTPRoute whose backend port is out of range is rejected', async () => {
    const route = structuredClone(get(await helmTemplate({ valuesFiles: [resolve('exposed.yaml')] }), 'HTTPRoute'));
    spec<{ rules: { backendRefs: { port?: number }[] }[] }>(route).rules[0]!.backendRefs[0]!.port = 70000;
    expect(() => validateManifest(route)).to.throw(/HTTPRoute redline.*port/s);
  });

  it('refuses an AlertmanagerConfig routing to a receiver it does not define, naming it', async () => {
    const error = await helmTemplate({
      valuesFiles: [resolve('alertmanager-config.yaml')],
      values: { alertmanagerConfig: { severityReceivers: { critical: 'pager' } } },
    }).catch((e: Error) => e);
    expect(String(error)).to.match(
      /alertmanagerConfig\.severityReceivers\.critical names receiver "pager", which alertmanagerConfig\.receivers does not define \(it has: page, ticket\)/,
    );
  });

  it('the dashboard links open the burn-rate panels: panel 10 is the page windows, 11 the ticket windows', async () => {
    const dashboard = JSON.parse(await readFile(join(CHART_DIR, 'dashboards', 'redline.json'), 'utf8')) as {
      panels: { id: number; title: string; panels?: { id: number; title: string }[] }[];
    };
    const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
    expect(panels.find((p) => p.id === 10)?.title).to.equal('Burn rate (page windows)');
    expect(panels.find((p) => p.id === 11)?.title).to.equal('Burn rate (ticket windows)');
  });

  it('the schema check can fail: a manifest with a bad ServiceMonitor interval is rejected', async () => {
    const manifests = await helmTemplate();
    const monitor = structuredClone(get(manifests, 'ServiceMonitor'));
    spec<{ endpoints: { interval: string }[] }>(monitor).endpoints[0]!.interval = 'five seconds';
    expect(() => validateManifest(monitor)).to.throw(/interval/);
  });

  it('helm install prints NOTES on reaching the service, Prometheus and Grafana', async () => {
    const output = await helmInstallDryRun({ namespace: 'shop' });
    const notes = output.slice(output.indexOf('NOTES:'));
    expect(notes).to.include('kubectl -n shop port-forward svc/redline 8080:8080');
    expect(notes).to.include('helm test redline -n shop');
    expect(notes).to.include('serviceMonitor/shop/redline/0');
    expect(notes).to.include('{"release":"kube-prometheus-stack"}');
    expect(notes).to.include('shop/redline-dashboard');
  });

  describe('invalid values make helm install fail with a message naming the key', () => {
    const cases: { name: string; values: Record<string, unknown>; message: RegExp }[] = [
      {
        name: 'unknown key (typo)',
        values: { serviceMonitr: { enabled: true } },
        message: /additional properties 'serviceMonitr' not allowed/,
      },
      {
        name: 'latency threshold off the bucket boundaries',
        values: { slo: { latency: { thresholdSeconds: 0.3 } } },
        message: /\/slo\/latency\/thresholdSeconds.*one of/,
      },
      {
        name: 'objective given as a percentage',
        values: { slo: { availability: { objective: 99.9 } } },
        message: /\/slo\/availability\/objective/,
      },
      { name: 'scrape interval as a number', values: { serviceMonitor: { interval: 5 } }, message: /\/serviceMonitor\/interval/ },
      {
        name: 'malformed burn-rate window',
        values: { slo: { burnRates: [{ severity: 'critical', longWindow: '1 hour', shortWindow: '5m', burnRate: 14.4, for: '2m' }] } },
        message: /\/slo\/burnRates\/0\/longWindow/,
      },
      {
        name: 'resources without limits (only the CPU limit may be removed)',
        values: { resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: null } },
        message: /\/resources/,
      },
      { name: 'unknown log level', values: { logLevel: 'verbose' }, message: /\/logLevel/ },
      // Not 'yes': Helm reads YAML 1.1, where yes is a boolean.
      {
        name: 'native histograms switched with a string',
        values: { metrics: { nativeHistograms: 'always' } },
        message: /\/metrics\/nativeHistograms/,
      },
      { name: 'image digest that is not sha256', values: { image: { digest: 'latest' } }, message: /\/image\/digest/ },
      {
        name: 'simulation env that is not SIM_*',
        values: { simulation: { env: { NODE_OPTIONS: '--inspect' } } },
        message: /NODE_OPTIONS' does not match pattern '\^SIM_/,
      },
      {
        name: 'preStop sleep of 0 (API servers before 1.33 reject it)',
        values: { shutdown: { preStopSleepSeconds: 0 } },
        message: /\/shutdown\/preStopSleepSeconds.*minimum/,
      },
      {
        name: 'drain longer than the grace period',
        values: { shutdown: { drainTimeoutMs: 30000, terminationGracePeriodSeconds: 30 } },
        message: /terminationGracePeriodSeconds \(30\) must exceed/,
      },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const error = await helmInstallDryRun({ values: c.values }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, 'helm install should fail').to.be.instanceOf(HelmError);
        expect((error as HelmError).stderr).to.match(c.message);
      });
    }
  });
});
