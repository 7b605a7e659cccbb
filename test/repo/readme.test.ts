// The README's tables are part of the product: they must list what the code really has.
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { CONFIG_ENV_KEYS } from '../../service/src/config.ts';
import { DEFAULT_BUCKETS, RedMetrics } from '@redline/red-metrics';
import { SIMULATED_ROUTES } from '../../service/src/simulation/profiles.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const tableNames = (heading: string) => {
  const section = readme.slice(readme.indexOf(heading));
  const table = section.slice(0, section.indexOf('\n\n', section.indexOf('| ---')));
  return [...table.matchAll(/^\| `([^`]+)`/gm)].map((m) => m[1]!);
};

describe('README', () => {
  it('documents every configuration variable, and no other', () => {
    const documented = tableNames('### Configuration');
    const perRoute = documented.filter((name) => name.includes('<ROUTE>'));
    expect(documented.filter((name) => !name.includes('<ROUTE>'))).to.have.members(CONFIG_ENV_KEYS);
    expect(perRoute).to.have.members(['SIM_<ROUTE>_MEDIAN_MS', 'SIM_<ROUTE>_P99_MS', 'SIM_<ROUTE>_ERROR_RATE']);
    for (const route of SIMULATED_ROUTES) expect(readme).to.include(`\`${route.toUpperCase()}\``);
  });

  it('documents every RED metric the middleware registers, with its labels', async () => {
    const registry = new Registry();
    const metrics = new RedMetrics(registry);
    const documented = tableNames('### Metrics');
    for (const metric of registry.getMetricsAsArray()) {
      expect(documented).to.include(metric.name);
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${metric.name}\``))!;
      for (const label of (metric as unknown as { labelNames: string[] }).labelNames) expect(row).to.include(`\`${label}\``);
    }
    expect(metrics.duration).to.exist;
  });

  it('states the histogram buckets the code uses', () => {
    expect(readme).to.include(DEFAULT_BUCKETS.join(', '));
  });
});
