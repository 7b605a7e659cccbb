// Every dashboard query, executed against a real Prometheus that scrapes the running
// service every second (with the local stack's labels namespace="local", job="redline") and
// evaluates the chart's rendered rules every second. Each query must parse and return data.
// No exceptions are needed: the SLO recording rules over long windows (up to 30d) have data
// as soon as two scrapes exist, because rate() uses whatever the window holds.
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redlineDashboard } from '../../../dashboards/redline.ts';
import { writeRuleFile } from '../../../scripts/rules.ts';
import { type RunningPrometheus, startPrometheus } from '../../../scripts/lib/prometheus-server.ts';
import { loadgenEntry, type RunningService, spawnNode, startService } from '../../../scripts/lib/service-process.ts';
import { waitFor } from '../../../scripts/lib/wait.ts';
import { contentPanels, interpolate, panelQueries, parseLabelValues } from './support/dashboard.ts';

/** Values Grafana would substitute. $__rate_interval: Grafana's max(4 x scrape interval,
 * $__interval + scrape interval) is 4-5s for a 1s scrape; 10s keeps a few samples in every window. */
const VARIABLES = { namespace: 'local', job: 'redline', route: '.+', __rate_interval: '10s' };

describe('dashboard: every query against a real Prometheus with the chart rules', function () {
  this.timeout(60_000);
  let service: RunningService;
  let prometheus: RunningPrometheus;
  let loadgen: ReturnType<typeof spawnNode> | undefined;
  let dir: string | undefined;

  before(async () => {
    // Errors and slow requests, so the error ratio and the latency SLI have something to count.
    service = await startService({ env: { SIM_ERROR_RATE: '0.1', SIM_SEED: '7' } });
    dir = await mkdtemp(join(tmpdir(), 'redline-dashboard-'));
    const ruleFile = join(dir, 'redline.rules.yml');
    await writeRuleFile(ruleFile);
    prometheus = await startPrometheus({
      scrapeInterval: '1s',
      evaluationInterval: '1s',
      ruleFiles: [ruleFile],
      scrapeTargets: [{ jobName: 'redline', targets: [`${service.host}:${service.port}`], labels: { namespace: 'local' } }],
    });
    loadgen = spawnNode(loadgenEntry, ['--target', service.url, '--rate', '30', '--duration', '0'], {});
    // Recording rules read recording rules: wait until the last one in the chain has a value.
    await waitFor('the error budget recording rule', async () => {
      const samples = await prometheus.query('namespace_job:slo_error_budget_remaining:ratio{namespace="local", job="redline"}');
      return samples.length === 2 && samples.every((s) => Number.isFinite(s.value)) ? true : undefined;
    }, { timeoutMs: 30_000, intervalMs: 500 });
  });

  after(async () => {
    await loadgen?.stop();
    await prometheus?.stop();
    await service?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('loads the rendered rules, and every rule evaluates without error', async () => {
    const groups = await prometheus.ruleGroups();
    expect(groups.map((g) => g.name)).to.have.members(['redline.red', 'redline.slo', 'redline.alerts']);
    for (const rule of groups.flatMap((g) => g.rules)) {
      expect(rule.health, `${rule.name}: ${rule.lastError ?? ''}`).to.equal('ok');
    }
  });

  it('puts the availability page alert in pending on a 10% error rate (100x the 0.1% budget)', async () => {
    const alerts = await waitFor('a pending availability alert', async () => {
      const all = await prometheus.alerts();
      return all.some((a) => a.labels.alertname === 'RedlineAvailabilityErrorBudgetBurn') ? all : undefined;
    }, { timeoutMs: 10_000, intervalMs: 500 });
    const burn = alerts.filter((a) => a.labels.alertname === 'RedlineAvailabilityErrorBudgetBurn');
    expect(burn.map((a) => a.labels.long_window)).to.include.members(['1h', '6h']);
    for (const alert of burn) {
      expect(alert.state).to.equal('pending');
      expect(alert.labels).to.include({ namespace: 'local', job: 'redline', slo: 'availability' });
    }
  });

  it('scrapes the service with the labels the variables select', async () => {
    const [target] = await prometheus.targets();
    expect(target?.health).to.equal('up');
    expect(target?.labels).to.include({ namespace: 'local', job: 'redline' });
  });

  it('answers every variable query with the running service among the values', async () => {
    const expected: Record<string, string> = { namespace: 'local', job: 'redline', route: '/api/items' };
    for (const variable of redlineDashboard().templating.list.filter((v) => v.type === 'query')) {
      const { match, label } = parseLabelValues((variable as { definition: string }).definition);
      const values = await prometheus.labelValues(label, match ? interpolate(match, VARIABLES) : undefined);
      expect(values, variable.name).to.include(expected[variable.name]);
    }
  });

  const units = new Map(contentPanels(redlineDashboard()).map((p) => [p.title, p.fieldConfig?.defaults.unit]));
  for (const query of panelQueries(redlineDashboard())) {
    it(`${query.panel} [${query.refId}] parses and returns data`, async () => {
      const expr = interpolate(query.expr, VARIABLES);
      const samples = await waitFor(`data for ${expr}`, async () => {
        const result = await prometheus.query(expr);
        return result.some((s) => Number.isFinite(s.value)) ? result : undefined;
      }, { timeoutMs: 10_000, intervalMs: 500 });
      // Plausible for the unit, so a query that returns the wrong thing also fails.
      const values = samples.map((s) => s.value).filter(Number.isFinite);
      const unit = units.get(query.panel);
      if (unit === 'reqps') expect(Math.max(...values), 'some traffic').to.be.greaterThan(0);
      if (unit === 's') for (const v of values) expect(v).to.be.within(0, 10);
      if (unit === 'bytes') expect(Math.min(...values), 'memory').to.be.greaterThan(1e6);
      if (unit === 'x') for (const v of values) expect(v, 'burn rate').to.be.at.least(0);
      if (unit === 'percentunit' && query.panel !== 'Error budget remaining') for (const v of values) expect(v).to.be.at.least(0);
      if (query.panel === 'Error ratio by route') for (const v of values) expect(v).to.be.within(0, 1);
    });
  }
});
