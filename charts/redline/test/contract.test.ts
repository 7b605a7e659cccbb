// The chart against the service's code: the metric names its rules and dashboard read, and
// the latency thresholds its schema accepts, come from the metrics the service registers.
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { redlineDashboard } from '../../../dashboards/redline.ts';
import { CHART_DIR } from '../../../scripts/lib/helm.ts';
import { renderRuleGroups } from '../../../scripts/rules.ts';
import { DEFAULT_BUCKETS, RedMetrics } from '../../../service/src/metrics/red-metrics.ts';
import { panelQueries } from './support/dashboard.ts';

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
  it('accepts exactly the histogram bucket boundaries as the latency threshold', async () => {
    const schema = JSON.parse(await readFile(join(CHART_DIR, 'values.schema.json'), 'utf8'));
    expect(schema.properties.slo.properties.latency.properties.thresholdSeconds.enum).to.deep.equal([...DEFAULT_BUCKETS]);
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
});
