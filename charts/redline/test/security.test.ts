// The restricted Pod Security Standard and the shutdown budget, for every pod the chart
// renders: the service, the load generator and the helm test Pod.
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { helmTemplate, type Manifest } from '../../../scripts/lib/helm.ts';
import { get, podSpecs, spec, type PodTemplate } from '../../../test/support/chart/manifests.ts';
import { defaultImage, VALUES_DIR } from '../../../test/support/chart/values.ts';

describe('chart: pod security and shutdown', () => {
  let manifests: Manifest[];
  before(async () => {
    manifests = await helmTemplate({ valuesFiles: [join(VALUES_DIR, 'loadgen-on.yaml')] });
  });

  it('renders three pod specs: service, load generator, helm test', () => {
    expect(podSpecs(manifests).map((p) => p.source)).to.have.members([
      'Deployment redline',
      'Deployment redline-loadgen',
      'Pod redline-test-service',
    ]);
  });

  it('every pod meets the restricted profile, with no service account token', async () => {
    const image = await defaultImage();
    for (const { source, pod } of podSpecs(manifests)) {
      expect(pod.automountServiceAccountToken, source).to.equal(false);
      expect(pod.securityContext, source).to.deep.include({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.securityContext?.runAsUser, source).to.equal(10001);
      for (const container of pod.containers) {
        const where = `${source} container ${container.name}`;
        const sc = container.securityContext ?? {};
        expect(sc, where).to.deep.include({
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(sc.runAsUser, where).to.be.a('number').and.be.greaterThan(0);
        expect(sc).to.not.have.property('privileged', true);
        for (const kind of ['requests', 'limits'] as const) {
          expect(container.resources?.[kind], `${where} resources.${kind}`).to.include.keys('cpu', 'memory');
        }
        expect(container.image, where).to.equal(image);
      }
    }
  });

  it('service and load generator get a writable /tmp (emptyDir) on their read-only root', () => {
    for (const { source, pod } of podSpecs(manifests).filter((p) => p.source.startsWith('Deployment'))) {
      const mount = pod.containers[0]!.volumeMounts?.find((m) => m.mountPath === '/tmp');
      expect(mount, source).to.not.equal(undefined);
      expect(pod.volumes?.find((v) => v.name === mount!.name)?.emptyDir, source).to.be.an('object');
    }
  });

  it('lets the pod drain: grace period > preStop sleep + SHUTDOWN_TIMEOUT_MS', () => {
    const pod = spec<{ template: PodTemplate }>(get(manifests, 'Deployment', 'redline')).template.spec;
    const container = pod.containers[0]!;
    const preStop = container.lifecycle?.preStop?.sleep?.seconds ?? 0;
    const drainMs = Number(container.env?.find((e) => e.name === 'SHUTDOWN_TIMEOUT_MS')?.value);
    expect(preStop).to.be.greaterThan(0);
    expect(drainMs).to.equal(10_000);
    expect(pod.terminationGracePeriodSeconds).to.be.greaterThan(preStop + drainMs / 1000);
  });

  it('probes /readyz for readiness and /healthz for liveness on the named port', () => {
    const container = spec<{ template: PodTemplate }>(get(manifests, 'Deployment', 'redline')).template.spec.containers[0]!;
    expect(container.readinessProbe?.httpGet).to.deep.equal({ path: '/readyz', port: 'http' });
    expect(container.livenessProbe?.httpGet).to.deep.equal({ path: '/healthz', port: 'http' });
  });

  it('sets the service environment: PORT, HOST, LOG_LEVEL, SHUTDOWN_TIMEOUT_MS', () => {
    const env = spec<{ template: PodTemplate }>(get(manifests, 'Deployment', 'redline')).template.spec.containers[0]!.env;
    expect(env).to.deep.include.members([
      { name: 'PORT', value: '8080' },
      { name: 'HOST', value: '0.0.0.0' },
      { name: 'LOG_LEVEL', value: 'info' },
      { name: 'SHUTDOWN_TIMEOUT_MS', value: '10000' },
    ]);
  });

  it('no value set renders host access or privilege of any kind', async () => {
    const sets = [[], ...readdirSync(VALUES_DIR).map((file) => [join(VALUES_DIR, file)])];
    for (const valuesFiles of sets) {
      const rendered = await helmTemplate({ valuesFiles });
      const where = valuesFiles[0] ?? 'defaults';
      for (const { source, pod } of podSpecs(rendered)) {
        const raw = pod as unknown as Record<string, unknown> & { volumes?: Record<string, unknown>[] };
        for (const key of ['hostNetwork', 'hostPID', 'hostIPC']) expect(raw[key], `${where}: ${source} ${key}`).to.not.equal(true);
        for (const volume of raw.volumes ?? []) expect(volume, `${where}: ${source}`).to.not.have.property('hostPath');
        for (const container of pod.containers) {
          for (const port of container.ports ?? []) expect(port, `${where}: ${source}`).to.not.have.property('hostPort');
          const caps = (container.securityContext?.capabilities ?? {}) as { add?: string[] };
          expect(caps.add ?? [], `${where}: ${source} capabilities.add`).to.deep.equal([]);
          expect(container.securityContext, `${where}: ${source}`).to.deep.include({
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
          });
        }
      }
    }
  });
});
