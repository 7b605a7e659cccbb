// smoke with the chart's native-histogram rules (metrics.nativeHistograms) against a real
// Prometheus 3: it checks the native series when the loaded rules read them, and fails, saying
// why, when Prometheus scrapes only the classic buckets.
import { expect } from 'chai';
import { join } from 'node:path';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { nativeHistogramScrape, type RunningPrometheus, startPrometheus } from '../../scripts/lib/prometheus-server.ts';
import { loadgenEntry, type RunningService, spawnNode, startService } from '../../scripts/lib/service-process.ts';
import { waitFor } from '../../scripts/lib/wait.ts';
import { forEachPrometheus, type PrometheusInstall } from '../support/each-prometheus.ts';
import { redlineRuleFile } from '../support/rule-file.ts';
import { runSmoke } from '../support/smoke-run.ts';

const args = (url: string, deadline: string) => [
  '--prometheus-url',
  url,
  '--namespace',
  'local',
  '--job',
  'redline',
  '--interval',
  '1s',
  '--scrape-pool',
  'redline',
  '--deadline',
  deadline,
  '--json',
];

function smokeNative(this: Mocha.Suite, install: PrometheusInstall) {
  this.timeout(90_000);
  let service: RunningService;
  let loadgen: ReturnType<typeof spawnNode>;
  let rules: { file: string; cleanup(): Promise<void> };
  const running: RunningPrometheus[] = [];

  /** Prometheus with the native rules, scraping native histograms or only the classic buckets. */
  async function prometheus(scrapeNative: boolean): Promise<RunningPrometheus> {
    const native = scrapeNative ? nativeHistogramScrape(install.version) : { enableFeatures: [], target: {} };
    const started = await startPrometheus({
      binary: install.prometheus,
      enableFeatures: native.enableFeatures,
      scrapeInterval: '1s',
      ruleFiles: [rules.file],
      scrapeTargets: [
        { jobName: 'redline', targets: [`${service.host}:${service.port}`], labels: { namespace: 'local' }, ...native.target },
      ],
    });
    running.push(started);
    await waitFor(
      'two scrapes of redline',
      async () => {
        const [sample] = await started.query('count_over_time(up{job="redline"}[1m])');
        return sample && sample.value >= 2 ? true : undefined;
      },
      { timeoutMs: 20_000 },
    );
    return started;
  }

  before(async () => {
    rules = await redlineRuleFile([join(repoRoot, 'compose/redline-values.yaml')]);
    service = await startService({ env: { LOG_LEVEL: 'silent', METRICS_NATIVE_HISTOGRAMS: 'true' } });
    loadgen = spawnNode(loadgenEntry, ['--target', service.url, '--rate', '20', '--duration', '60s'], {});
  });

  after(async () => {
    await loadgen?.stop();
    for (const p of running) await p.stop();
    await service?.stop();
    await rules?.cleanup();
  });

  it('passes, with the native histogram check, when Prometheus scrapes native histograms', async () => {
    const run = await runSmoke(args((await prometheus(true)).url, '20s'));
    expect(run.outcome.reasons, run.stdout).to.deep.equal([]);
    expect(run.code).to.equal(0);
    const native = run.outcome.checks.find((c) => c.name === 'native histograms');
    expect(native?.ok, JSON.stringify(native)).to.equal(true);
  });

  it('fails, naming the missing native series, when Prometheus scrapes only the classic buckets', async () => {
    const run = await runSmoke(args((await prometheus(false)).url, '5s'));
    expect(run.code).to.not.equal(0);
    const native = run.outcome.checks.find((c) => c.name === 'native histograms');
    expect(native?.ok).to.equal(false);
    expect(native?.detail).to.match(/native histogram.*protobuf/);
  });
}

describe('smoke with native-histogram rules', () => forEachPrometheus({ minMajor: 3 }, smokeNative));
