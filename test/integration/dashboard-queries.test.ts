// Every dashboard query, executed against a real Prometheus that scrapes the running service
// every second (with the local stack's labels namespace="local", job="redline") and evaluates
// the chart's rendered rules every second. Each query must parse and return data. No
// exceptions are needed: the RED and SLO panels read recorded series, and the recording rules
// over long windows (up to 30d) have data as soon as two scrapes exist, because rate() uses
// whatever the window holds. The smoke runs a pass against the same Prometheus, and every
// query it sends (the local summary's included) must read a recorded series or be one of its
// listed raw reads (support/red-source.ts), as Prometheus 3 parses it.
// The classic dashboard and rules run on every installed Prometheus (3.x and 2.x); the native
// ones (metrics.nativeHistograms) on Prometheus 3, scraping the service's native histograms
// over protobuf (METRICS_NATIVE_HISTOGRAMS=true).
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redlineDashboard } from '../../dashboards/redline.ts';
import { renderRuleGroups, type RuleGroup, writeRuleFile } from '../../scripts/lib/rules.ts';
import { PrometheusClient } from '../../scripts/lib/prometheus-api.ts';
import { redQueries } from '../../scripts/lib/red-summary.ts';
import { checkNames, runPass } from '../../scripts/smoke/checks.ts';
import { RAW_READS, seriesRead, shapeOf, unlisted } from '../support/chart/red-source.ts';
import { forEachPrometheus, type PrometheusInstall } from '../support/each-prometheus.ts';
import { nativeHistogramScrape, type RunningPrometheus, startPrometheus } from '../../scripts/lib/prometheus-server.ts';
import { loadgenEntry, type RunningService, spawnNode, startService } from '../../scripts/lib/service-process.ts';
import { waitFor } from '../../scripts/lib/wait.ts';
import { contentPanels, interpolate, panelQueries, parseLabelValues, variables } from '../support/chart/dashboard.ts';

/** Values Grafana would substitute. $__rate_interval: Grafana's max(4 x scrape interval,
 * $__interval + scrape interval) is 4-5s for a 1s scrape; 10s keeps a few samples in every window. */
const VARIABLES = { namespace: 'local', job: 'redline', route: '.+', __rate_interval: '10s' };

function dashboardQueries(install: PrometheusInstall, nativeHistograms: boolean) {
  const dashboard = redlineDashboard({ nativeHistograms });
  let service: RunningService;
  let prometheus: RunningPrometheus;
  let loadgen: ReturnType<typeof spawnNode> | undefined;
  let dir: string | undefined;
  let groups: RuleGroup[];

  before(async () => {
    // Errors and slow requests, so the error ratio and the latency SLI have something to count.
    // Native: 3x slower, so a good share of requests exceeds the 0.5s threshold and the native
    // and classic latency SLIs are compared on more than zeros.
    const slower: Record<string, string> = nativeHistograms ? { SIM_LATENCY_FACTOR: '3' } : {};
    service = await startService({
      env: { SIM_ERROR_RATE: '0.1', SIM_SEED: '7', METRICS_NATIVE_HISTOGRAMS: String(nativeHistograms), ...slower },
    });
    dir = await mkdtemp(join(tmpdir(), 'redline-dashboard-'));
    const ruleFile = join(dir, 'redline.rules.yml');
    groups = await writeRuleFile(ruleFile, { values: { metrics: { nativeHistograms } } });
    const native = nativeHistograms ? nativeHistogramScrape(install.version) : { enableFeatures: [], target: {} };
    prometheus = await startPrometheus({
      binary: install.prometheus,
      enableFeatures: native.enableFeatures,
      scrapeInterval: '1s',
      evaluationInterval: '1s',
      ruleFiles: [ruleFile],
      scrapeTargets: [
        { jobName: 'redline', targets: [`${service.host}:${service.port}`], labels: { namespace: 'local' }, ...native.target },
      ],
    });
    loadgen = spawnNode(loadgenEntry, ['--target', service.url, '--rate', '30', '--duration', '0'], {});
    if (nativeHistograms) {
      await waitFor(
        'native http_request_duration_seconds (the service serving protobuf with METRICS_NATIVE_HISTOGRAMS=true)',
        async () => {
          const samples = await prometheus.query('histogram_count(http_request_duration_seconds{namespace="local", job="redline"})');
          return samples.length > 0 ? true : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 500 },
      );
    }
    // Recording rules read recording rules: wait until the last one in the chain has a value.
    await waitFor(
      'the error budget recording rule',
      async () => {
        const samples = await prometheus.query('namespace_job:slo_error_budget_remaining:ratio{namespace="local", job="redline"}');
        return samples.length === 2 && samples.every((s) => Number.isFinite(s.value)) ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
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
    // Both page windows (1h and 6h) are alerts of one group: on a busy machine the second
    // can show up an evaluation after the first, so wait for the pair, not for the first one.
    const alerts = await waitFor(
      'pending availability alerts on the 1h and 6h windows',
      async () => {
        const all = await prometheus.alerts();
        const windows = new Set(
          all.filter((a) => a.labels.alertname === 'RedlineAvailabilityErrorBudgetBurn').map((a) => a.labels.long_window),
        );
        return windows.has('1h') && windows.has('6h') ? all : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 500 },
    );
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

  if (nativeHistograms) {
    it('stores the latency histogram natively, its classic buckets kept, both counting the same requests', async () => {
      const selector = '{namespace="local", job="redline"}';
      const [native] = await prometheus.query(`sum(histogram_count(http_request_duration_seconds${selector}))`);
      expect(
        native?.value,
        'native histogram_count (is the service serving protobuf with METRICS_NATIVE_HISTOGRAMS=true?)',
      ).to.be.greaterThan(0);
      const [classic] = await prometheus.query(`sum(http_request_duration_seconds_count${selector})`);
      expect(classic?.value, 'classic _count kept').to.be.greaterThan(0);
      // Scraped together, so within a few seconds' traffic of each other.
      expect(Math.abs(native!.value - classic!.value) / classic!.value).to.be.below(0.05);
    });

    it('computes the same latency SLI natively (histogram_fraction) as the classic rules do from le="0.5", on the same samples', async () => {
      const exprOf = async (native: boolean, record: string) => {
        const rules = (await renderRuleGroups({ values: { metrics: { nativeHistograms: native } } })).flatMap((g) => g.rules);
        return rules.find((r) => r.record === record)!.expr;
      };
      // A moment in the past at which the classic rules see real slow traffic: at least 0.05/s,
      // 15 requests in the 5m window, not the trace that extrapolation leaves (see below).
      const classicSlow = await exprOf(false, 'namespace_job:http_request_duration_seconds_slow:rate5m');
      const at = await waitFor(
        'slow requests in the classic histogram',
        async () => {
          const moment = new Date(Date.now() - 1_000);
          const [slow] = await prometheus.query(classicSlow, moment);
          return slow && slow.value >= 0.05 ? moment : undefined;
        },
        { timeoutMs: 45_000, intervalMs: 500 },
      );
      for (const record of [
        'namespace_job:http_request_duration_seconds_count:rate5m',
        'namespace_job:http_request_duration_seconds_slow:rate5m',
      ]) {
        const [native] = await prometheus.query(await exprOf(true, record), at);
        const [classic] = await prometheus.query(await exprOf(false, record), at);
        expect(native, `${record} (native)`).to.not.equal(undefined);
        expect(classic, `${record} (classic)`).to.not.equal(undefined);
        expect(classic!.value, `${record} (classic)`).to.be.greaterThan(0);
        // 0.5 is a bucket boundary of both (2^-1 at every native schema), so both count the same
        // requests, and most moments agree to float rounding. Not all: while a series is younger
        // than the 5m window, rate() stops extrapolating a classic series where it would reach
        // zero, so a _bucket whose first sample was 0 (the series' first request was slow) is
        // extrapolated up to half a scrape interval less than its _count, and the difference of
        // the two reads as slow traffic the native histogram does not have: up to 0.5s/300s of
        // that series' rate (one CI run: classic 0.0017/s, native 0). A few such series are allowed
        // besides 2%; a wrong threshold moves the SLI by far more.
        const extrapolation = (4 * 0.5) / 300;
        expect(native!.value, record).to.be.closeTo(classic!.value, 0.02 * classic!.value + extrapolation);
      }
    });
  }

  it('smoke passes on these rules, and every query it sends (the summary included) reads recorded series or is a listed raw read', async () => {
    const sent: string[] = [];
    const client = new (class extends PrometheusClient {
      override async query(expr: string, time?: Date) {
        sent.push(expr);
        return super.query(expr, time);
      }
    })(prometheus.url);
    const options = { namespace: 'local', job: 'redline', scrapePool: 'redline', intervalSeconds: 1, window: '1m' };
    // The 10% error rate may have fired the availability alert by now: every other check must pass.
    const pass = await waitFor(
      'a smoke pass whose checks (but the alerts) all pass',
      async () => {
        const result = await runPass(client, options);
        const failing = result.checks.filter((c) => !c.ok && c.name !== checkNames.alerts);
        if (failing.length) throw new Error(failing.map((c) => `${c.name}: ${c.detail}`).join('; '));
        return result;
      },
      { timeoutMs: 20_000, intervalMs: 1_000 },
    );
    expect(pass.checks.map((c) => c.name)).to.include.members([checkNames.red, checkNames.recording]);
    if (nativeHistograms) expect(pass.checks.find((c) => c.name === checkNames.native)?.ok).to.equal(true);
    const items = pass.red.find((row) => row.route === '/api/items');
    expect(items?.rate, 'recorded request rate of /api/items').to.be.greaterThan(0);
    expect(items?.p95, 'recorded p95 of /api/items').to.be.within(0, 10);
    expect(sent, "the summary's queries").to.include.members(Object.values(redQueries('namespace="local",job="redline"')));
    const shapes = new Set(sent.map(shapeOf));
    const rawSent = RAW_READS.smoke.filter((raw) => shapes.has(raw.shape)).length;
    expect(rawSent, 'listed raw reads sent').to.equal(nativeHistograms ? RAW_READS.smoke.length : RAW_READS.smoke.length - 1);
    if (install.major < 3) return; // parse_query: Prometheus 3
    const problems: string[] = [];
    for (const expr of new Set(sent)) problems.push(...unlisted('smoke', expr, await seriesRead(prometheus.url, expr), groups));
    expect(problems).to.deep.equal([]);
  });

  it('answers every variable query with the running service among the values', async () => {
    const expected: Record<string, string> = { namespace: 'local', job: 'redline', route: '/api/items' };
    for (const variable of variables(dashboard).filter((v) => v.type === 'query')) {
      const { match, label } = parseLabelValues(variable.definition ?? '');
      const values = await prometheus.labelValues(label, match ? interpolate(match, VARIABLES) : undefined);
      expect(values, variable.name).to.include(expected[variable.name]);
    }
  });

  const units = new Map(contentPanels(dashboard).map((p) => [p.title, p.fieldConfig?.defaults.unit]));
  for (const query of panelQueries(dashboard)) {
    it(`${query.panel} [${query.refId}] parses and returns data`, async () => {
      const expr = interpolate(query.expr, VARIABLES);
      const samples = await waitFor(
        `data for ${expr}`,
        async () => {
          const result = await prometheus.query(expr);
          return result.some((s) => Number.isFinite(s.value)) ? result : undefined;
        },
        { timeoutMs: 10_000, intervalMs: 500 },
      );
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
}

describe('dashboard: every query against a real Prometheus with the chart rules', function () {
  this.timeout(60_000);
  describe('classic histograms (redline.json)', () => forEachPrometheus({}, (install) => dashboardQueries(install, false)));
  describe('native histograms (redline-native.json, metrics.nativeHistograms)', () =>
    forEachPrometheus({ minMajor: 3 }, (install) => dashboardQueries(install, true)));
});
