// Catches the classic "target never appears": the ServiceMonitor must select the Service by
// its labels in its namespace, name its port, and that port must lead to a container that
// serves /metrics. The last hop is checked for real: the service runs with the Deployment's
// environment and the ServiceMonitor's path is fetched from it.
import { expect } from 'chai';
import { join } from 'node:path';
import { helmTemplate, type Manifest } from '../../../scripts/lib/helm.ts';
import { type RunningService, startService } from '../../../scripts/lib/service-process.ts';
import { get, spec, type PodTemplate } from '../../../test/support/chart/manifests.ts';
import { VALUES_DIR } from '../../../test/support/chart/values.ts';
import { wiringProblems, type MonitorSpec, type ServiceSpec } from '../../../test/support/chart/wiring.ts';

const valueSets = [
  { name: 'default', files: [] as string[], namespace: 'default' },
  { name: 'custom labels', files: [join(VALUES_DIR, 'custom-labels.yaml')], namespace: 'shop' },
  {
    name: 'loadgen on (a second Deployment the Service must not select)',
    files: [join(VALUES_DIR, 'loadgen-on.yaml')],
    namespace: 'default',
  },
  { name: 'kind', files: [join(VALUES_DIR, '..', '..', '..', '..', 'k8s', 'redline-values.yaml')], namespace: 'default' },
  { name: 'exposed (metrics on its own port)', files: [join(VALUES_DIR, 'exposed.yaml')], namespace: 'default' },
];

/** A copy of the manifests with one object changed. */
function broken(manifests: Manifest[], kind: string, change: (m: Manifest) => void): Manifest[] {
  return manifests.map((m) => {
    if (m.kind !== kind || m.metadata.name.endsWith('-loadgen')) return m;
    const copy = structuredClone(m);
    change(copy);
    return copy;
  });
}

describe('chart: ServiceMonitor -> Service -> Pod wiring', () => {
  for (const set of valueSets) {
    it(`has no broken link with values: ${set.name}`, async () => {
      const manifests = await helmTemplate({ valuesFiles: set.files, namespace: set.namespace });
      expect(wiringProblems(manifests)).to.deep.equal([]);
    });
  }

  describe('finds each classic mistake (the check can fail)', () => {
    let manifests: Manifest[];
    before(async () => {
      manifests = await helmTemplate({ valuesFiles: [join(VALUES_DIR, 'loadgen-on.yaml')] });
    });
    const mistakes: { name: string; kind: string; change: (m: Manifest) => void; problem: RegExp }[] = [
      {
        name: 'Service port renamed',
        kind: 'Service',
        change: (m) => {
          spec<ServiceSpec>(m).ports[0]!.name = 'web';
        },
        problem: /not a named Service port/,
      },
      {
        name: 'ServiceMonitor selects other labels',
        kind: 'ServiceMonitor',
        change: (m) => {
          spec<MonitorSpec>(m).selector.matchLabels = { app: 'redline' };
        },
        problem: /matches no Service/,
      },
      {
        name: 'ServiceMonitor looks in another namespace',
        kind: 'ServiceMonitor',
        change: (m) => {
          spec<MonitorSpec>(m).namespaceSelector = { matchNames: ['monitoring'] };
        },
        problem: /namespaceSelector excludes/,
      },
      {
        name: 'metrics path changed',
        kind: 'ServiceMonitor',
        change: (m) => {
          spec<MonitorSpec>(m).endpoints[0]!.path = '/prometheus';
        },
        problem: /not \/metrics/,
      },
      {
        name: 'targetPort names no container port',
        kind: 'Service',
        change: (m) => {
          spec<ServiceSpec>(m).ports[0]!.targetPort = 'metrics';
        },
        problem: /no container port/,
      },
      {
        name: 'pod labels no longer match the Service',
        kind: 'Deployment',
        change: (m) => {
          spec<{ template: PodTemplate }>(m).template.metadata.labels = { app: 'x' };
        },
        problem: /selects the pods of 0/,
      },
    ];
    for (const mistake of mistakes) {
      it(mistake.name, () => {
        expect(wiringProblems(broken(manifests, mistake.kind, mistake.change)).join('\n')).to.match(mistake.problem);
      });
    }
  });

  describe('the container serves the ServiceMonitor path on the named port (real service)', function () {
    this.timeout(30_000);
    let service: RunningService | undefined;
    let path: string;

    before(async () => {
      const manifests = await helmTemplate();
      const monitor = spec<MonitorSpec>(get(manifests, 'ServiceMonitor'));
      const svc = spec<ServiceSpec>(get(manifests, 'Service'));
      const container = spec<{ template: PodTemplate }>(get(manifests, 'Deployment')).template.spec.containers[0]!;
      const targetPort = svc.ports.find((p) => p.name === monitor.endpoints[0]!.port)!.targetPort;
      const containerPort = container.ports!.find((p) => p.name === targetPort)!.containerPort;
      path = monitor.endpoints[0]!.path;
      const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? '']));
      expect(env.PORT, 'the service listens on PORT, which must be the named container port').to.equal(String(containerPort));
      expect(env.HOST).to.equal('0.0.0.0');
      // The pod's environment, except where it listens: 8080 may be taken on this machine.
      const { PORT: _port, HOST: _host, ...rest } = env;
      service = await startService({ env: { ...rest, LOG_LEVEL: 'warn' } });
    });
    after(async () => {
      await service?.stop();
    });

    it('answers the scrape with the RED metrics', async () => {
      const response = await fetch(`${service!.url}${path}`);
      expect(response.status).to.equal(200);
      const body = await response.text();
      expect(body).to.match(/^http_requests_total\{/m);
      expect(body).to.match(/^http_request_duration_seconds_bucket\{/m);
    });
  });
});
