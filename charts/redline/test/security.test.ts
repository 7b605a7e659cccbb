// The restricted Pod Security Standard and the shutdown budget, for every pod the chart
// renders: the service, the load generator and the helm test Pod.
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { helmTemplate, type Manifest } from '../../../scripts/lib/helm.ts';
import { get, podSpecs, spec, type PodSpec, type PodTemplate } from '../../../test/support/chart/manifests.ts';
import { defaultImage, VALUES_DIR } from '../../../test/support/chart/values.ts';

/** What the restricted Pod Security Standard asks of a pod and its containers, as problems. */
function restrictedProblems(source: string, pod: PodSpec): string[] {
  const problems: string[] = [];
  const expectIn = (where: string, actual: unknown, expected: unknown, key: string) => {
    if (JSON.stringify(actual) !== JSON.stringify(expected))
      problems.push(`${where}: ${key} is ${JSON.stringify(actual)}, want ${JSON.stringify(expected)}`);
  };
  if (pod.automountServiceAccountToken !== false) problems.push(`${source}: automountServiceAccountToken is not false`);
  const podContext = pod.securityContext ?? {};
  const podUser = podContext.runAsUser as number | undefined;
  expectIn(source, podContext.seccompProfile, { type: 'RuntimeDefault' }, 'seccompProfile');
  for (const container of pod.containers) {
    const where = `${source} container ${container.name}`;
    const sc = container.securityContext ?? {};
    // runAsNonRoot may come from the pod; the container's own wins.
    expectIn(where, sc.runAsNonRoot ?? podContext.runAsNonRoot, true, 'runAsNonRoot');
    expectIn(where, sc.allowPrivilegeEscalation, false, 'allowPrivilegeEscalation');
    expectIn(where, sc.readOnlyRootFilesystem, true, 'readOnlyRootFilesystem');
    expectIn(where, sc.capabilities, { drop: ['ALL'] }, 'capabilities');
    expectIn(where, sc.seccompProfile ?? podContext.seccompProfile, { type: 'RuntimeDefault' }, 'seccompProfile');
    if (sc.privileged === true) problems.push(`${where}: privileged`);
    const user = (sc.runAsUser as number | undefined) ?? podUser;
    if (!(typeof user === 'number' && user > 0)) problems.push(`${where}: runAsUser ${user} is not a non-zero uid`);
    for (const kind of ['requests', 'limits'] as const) {
      const want = kind === 'requests' ? ['cpu', 'memory'] : ['memory'];
      for (const resource of want)
        if (!container.resources?.[kind]?.[resource]) problems.push(`${where}: no resources.${kind}.${resource}`);
    }
  }
  return problems;
}

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
      expect(restrictedProblems(source, pod)).to.deep.equal([]);
      for (const container of pod.containers) {
        expect(container.image, `${source} container ${container.name}`).to.equal(image);
        // The CPU limit may be removed by a value, but the defaults keep one.
        expect(container.resources?.limits, `${source} container ${container.name}`).to.include.keys('cpu', 'memory');
      }
    }
  });

  it('the security contexts are values: an override reaches every pod, and the check catches a weakened one', async () => {
    const rendered = await helmTemplate({
      valuesFiles: [join(VALUES_DIR, 'loadgen-on.yaml')],
      values: {
        podSecurityContext: { runAsUser: 20000, fsGroup: 20000 },
        securityContext: { runAsUser: 20000, allowPrivilegeEscalation: true },
      },
    });
    const pods = podSpecs(rendered);
    expect(pods).to.have.length(3);
    for (const { source, pod } of pods) {
      expect(pod.securityContext, source).to.deep.include({ runAsUser: 20000, fsGroup: 20000, runAsNonRoot: true });
      // Helm merges maps: the restricted defaults not overridden stay.
      for (const container of pod.containers) {
        expect(container.securityContext, source).to.deep.include({ runAsUser: 20000, readOnlyRootFilesystem: true });
      }
      expect(restrictedProblems(source, pod).join('\n')).to.match(/allowPrivilegeEscalation/);
    }
  });

  it('removing a restricted setting (runAsNonRoot=null, capabilities.drop=null) is caught', async () => {
    const rendered = await helmTemplate({
      values: { podSecurityContext: { runAsNonRoot: null }, securityContext: { runAsNonRoot: null, capabilities: null } },
    });
    const problems = podSpecs(rendered).flatMap(({ source, pod }) => restrictedProblems(source, pod));
    expect(problems.join('\n'))
      .to.match(/runAsNonRoot/)
      .and.match(/capabilities/);
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
