// NOTES.txt names Services to port-forward to: each must exist, in the namespace it says, in
// the real `helm template` of charts/redline and of the pinned kube-prometheus-stack with the
// release name the values select (the kind values, another release, the chart's default).
// Also the helm test Pod: kept after it succeeds, so `helm test --logs` can read it on Helm 3.
import { expect } from 'chai';
import { join } from 'node:path';
import { requireKpsChart } from '../../../test/support/kps-chart.ts';
import { helmInstallDryRun, helmTemplate } from '../../../scripts/lib/helm.ts';
import { kpsValuesFile, redlineValuesFile } from '../../../scripts/lib/kube-prometheus-stack.ts';
import { repoRoot } from '../../../scripts/lib/paths.ts';

/** (namespace, Service) of every `kubectl -n NS port-forward svc/NAME` in the NOTES. */
function portForwards(notes: string): { namespace: string; service: string }[] {
  return [...notes.matchAll(/kubectl -n (\S+) port-forward svc\/(\S+)/g)].map((m) => ({ namespace: m[1]!, service: m[2]! }));
}

describe('NOTES.txt names Services that exist', function () {
  this.timeout(120_000);
  const cases = [
    { name: 'the kind values (kube-prometheus-stack release kps)', values: [redlineValuesFile], set: {}, stack: 'kps' },
    {
      name: 'a long kube-prometheus-stack release name (cut at 26 characters)',
      values: [redlineValuesFile],
      set: { monitoring: { selectorLabels: { release: 'observability-platform-team' } } },
      stack: 'observability-platform-team',
    },
    { name: 'the chart defaults (release kube-prometheus-stack)', values: [], set: {}, stack: 'kube-prometheus-stack' },
  ];
  for (const { name, values, set, stack } of cases) {
    it(name, async function () {
      const chart = requireKpsChart(this);
      const output = await helmInstallDryRun({ release: 'redline', namespace: 'redline', valuesFiles: values, values: set });
      const notes = output.slice(output.indexOf('NOTES:'));
      const forwards = portForwards(notes);
      expect(forwards.map((f) => f.namespace)).to.deep.equal(['redline', 'monitoring', 'monitoring']);
      const services = [
        ...(await helmTemplate({ release: 'redline', namespace: 'redline', valuesFiles: values, values: set })),
        ...(await helmTemplate({ release: stack, chart, namespace: 'monitoring', extraArgs: ['-f', kpsValuesFile] })),
      ]
        .filter((m) => m.kind === 'Service')
        .map((m) => `${m.metadata.namespace ?? 'redline'}/${m.metadata.name}`);
      for (const { namespace, service } of forwards)
        expect(services, `${namespace}/${service} in NOTES:\n${notes}`).to.include(`${namespace}/${service}`);
    });
  }
});

describe('helm test Pod', function () {
  it('is deleted only before the next test run, never on success (helm test --logs reads it on Helm 3)', async function () {
    const pods = (await helmTemplate({ valuesFiles: [join(repoRoot, 'k8s/redline-values.yaml')] })).filter(
      (m) => m.metadata.annotations?.['helm.sh/hook'] === 'test',
    );
    expect(pods.map((p) => p.kind)).to.deep.equal(['Pod']);
    expect(pods[0]!.metadata.annotations!['helm.sh/hook-delete-policy']).to.equal('before-hook-creation');
  });
});
