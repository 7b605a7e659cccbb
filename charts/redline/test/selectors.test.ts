// The Service, PodDisruptionBudget and NetworkPolicy select the service's pods and nothing
// else: not the helm test Pod, not the load generator (traffic, disruption budgets and
// policies would otherwise count them).
import { expect } from 'chai';
import { join } from 'node:path';
import { helmTemplate, type Manifest } from '../../../scripts/lib/helm.ts';
import { get, spec, type PodTemplate } from '../../../test/support/chart/manifests.ts';
import { selects } from '../../../test/support/chart/manifests.ts';
import { VALUES_DIR } from '../../../test/support/chart/values.ts';

function selectorOf(manifest: Manifest): Record<string, string> {
  if (manifest.kind === 'Service') return spec<{ selector: Record<string, string> }>(manifest).selector;
  if (manifest.kind === 'PodDisruptionBudget')
    return spec<{ selector: { matchLabels: Record<string, string> } }>(manifest).selector.matchLabels;
  return spec<{ podSelector: { matchLabels: Record<string, string> } }>(manifest).podSelector.matchLabels;
}

describe('chart: selectors pick the service pods only', function () {
  this.timeout(30_000);
  let manifests: Manifest[];
  before(async () => {
    // HPA on brings the PDB, the NetworkPolicy and loadgen are off by default.
    const files = ['hpa-on.yaml', 'network-policy-on.yaml', 'loadgen-on.yaml'].map((f) => join(VALUES_DIR, f));
    manifests = await helmTemplate({ valuesFiles: files });
  });

  for (const kind of ['Service', 'PodDisruptionBudget', 'NetworkPolicy']) {
    it(`${kind} selects the Deployment's pods, not the helm test Pod or the load generator`, () => {
      const selector = selectorOf(get(manifests, kind));
      const service = spec<{ template: PodTemplate }>(get(manifests, 'Deployment', 'redline')).template.metadata.labels;
      const loadgen = spec<{ template: PodTemplate }>(get(manifests, 'Deployment', 'redline-loadgen')).template.metadata.labels;
      const testPod = get(manifests, 'Pod').metadata.labels ?? {};
      expect(selects(selector, service), `${kind} selects the service pods`).to.equal(true);
      expect(selects(selector, testPod), `${kind} selects the test Pod ${JSON.stringify(testPod)}`).to.equal(false);
      expect(selects(selector, loadgen), `${kind} selects the loadgen pods`).to.equal(false);
    });
  }

  it('the test Pod keeps the release instance label (for tracing) and says it is a test', () => {
    expect(get(manifests, 'Pod').metadata.labels).to.include({
      'app.kubernetes.io/instance': 'redline',
      'app.kubernetes.io/component': 'test',
    });
  });
});
