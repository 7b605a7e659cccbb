// scripts/smoke.ts against a real Prometheus scraping the real service (the same HTTP API the
// cluster's Prometheus serves), then the ways it must fail: pool missing, metrics absent,
// target down. Scrapes every 1s and short deadlines keep this quick.
import { expect } from 'chai';
import type { Context } from 'mocha';
import { freePort } from '../lib/ports.ts';
import { type RunningPrometheus, startPrometheus } from '../lib/prometheus-server.ts';
import { loadgenEntry, type RunningService, spawnNode, startService } from '../lib/service-process.ts';
import { waitFor } from '../lib/wait.ts';
import { join } from 'node:path';
import { startFakeKubeApi } from './fake-kube-api.ts';
import { helmTemplate } from '../lib/helm.ts';
import { kpsValuesFile, redlineValuesFile } from '../lib/kube-prometheus-stack.ts';
import { repoRoot } from '../lib/paths.ts';
import { requireKpsChart } from '../../test/support/kps-chart.ts';
import { redlineRuleFile } from '../../test/support/rule-file.ts';
import { runSmoke } from './smoke-run.ts';

const local = ['--namespace', 'local', '--job', 'redline', '--interval', '1s'];

/**
 * A stand-in API server holding the real renders: kube-prometheus-stack's Prometheus CR (kind
 * values) and redline's chart in namespace "local", labelled for another release.
 */
async function fakeClusterWithOtherRelease(ctx: Context) {
  const [kps, redline] = await Promise.all([
    helmTemplate({ release: 'kps', chart: requireKpsChart(ctx), namespace: 'monitoring', valuesFiles: [kpsValuesFile] }),
    helmTemplate({ release: 'redline', chart: join(repoRoot, 'charts/redline'), namespace: 'local', valuesFiles: [redlineValuesFile], extraArgs: ['--set', 'monitoring.selectorLabels.release=prometheus'] }),
  ]);
  return startFakeKubeApi([...kps, ...redline].filter((m) => ['Prometheus', 'ServiceMonitor', 'PrometheusRule'].includes(m.kind)));
}

describe('smoke (scripts/smoke.ts) against a real Prometheus', function () {
  this.timeout(60_000);
  let service: RunningService;
  let prometheus: RunningPrometheus;
  let loadgen: ReturnType<typeof spawnNode>;
  let rules: { file: string; cleanup(): Promise<void> };

  before(async function () {
    rules = await redlineRuleFile();
    service = await startService({ env: { LOG_LEVEL: 'silent' } });
    // Bounded traffic: 20 req/s for at most 40s, stopped in after().
    loadgen = spawnNode(loadgenEntry, ['--target', service.url, '--rate', '20', '--duration', '40s'], {});
    prometheus = await startPrometheus({
      scrapeInterval: '1s',
      ruleFiles: [rules.file],
      scrapeTargets: [{ jobName: 'redline', targets: [`${service.host}:${service.port}`], labels: { namespace: 'local' } }],
    });
    // Two scrapes with traffic between them, so rate() has something to say.
    await waitFor('two scrapes of redline', async () => {
      const [sample] = await prometheus.query('count_over_time(up{job="redline"}[1m])');
      return sample && sample.value >= 2 ? true : undefined;
    }, { timeoutMs: 20_000 });
  });

  after(async function () {
    await loadgen?.stop();
    await service?.stop();
    await prometheus?.stop();
    await rules?.cleanup();
  });

  it('passes: targets up at 1s, RED per route, recording rules, redline.* groups, no alert firing', async function () {
    const run = await runSmoke(['--prometheus-url', prometheus.url, ...local, '--scrape-pool', 'redline', '--deadline', '30s', '--json']);
    expect(run.outcome.reasons, run.stdout).to.deep.equal([]);
    expect(run.code).to.equal(0);
    expect(run.outcome.checks.map((c) => c.name)).to.include.members([
      'scrape pool', 'targets up', 'scrapes recent', 'scrape interval', 'RED queries', 'rule groups', 'recording rules', 'no alert firing',
    ]);
    const routes = run.outcome.red.map((r) => r.route);
    expect(routes).to.include.members(['/api/items', '/api/checkout']);
    const items = run.outcome.red.find((r) => r.route === '/api/items')!;
    expect(items.rate).to.be.greaterThan(0);
    expect(items.p95).to.be.greaterThan(0).and.lessThan(10);
    expect(items.errorRatio).to.be.within(0, 1);
  });

  it('prints a readable report with a per-route RED table', async function () {
    const run = await runSmoke(['--prometheus-url', prometheus.url, ...local, '--scrape-pool', 'redline', '--deadline', '30s']);
    expect(run.code, run.stdout).to.equal(0);
    expect(run.stdout).to.match(/^redline smoke: Prometheus http:\/\/127\.0\.0\.1:\d+$/m);
    expect(run.stdout).to.match(/^RED per route \(rate over 1m\):\n {2}route +req\/s +errors +p95\n {2}-+ +-+ +-+ +-+$/m);
    expect(run.stdout).to.match(/^ {2}\/api\/items +\d+\.\d\d +\d+\.\d\d% +\d+ ms$/m);
    expect(run.stdout).to.match(/^PASS after \d+\.\ds/m);
  });

  it('fails when the scrape pool is missing, naming the pools Prometheus has', async function () {
    const run = await runSmoke(['--prometheus-url', prometheus.url, ...local, '--deadline', '1s', '--json']);
    expect(run.code).to.equal(1);
    expect(run.outcome.reasons[0]).to.match(
      /^scrape pool: scrape pool serviceMonitor\/local\/redline\/0 not found; Prometheus has redline/);
    // No cluster here: the "not selected" diagnosis is skipped, and says so.
    expect(run.outcome.reasons[0]).to.contain('ServiceMonitor selection not diagnosed');
  });

  it('with a cluster, says why the ServiceMonitor is not selected', async function () {
    const api = await fakeClusterWithOtherRelease(this);
    try {
      // The default pool serviceMonitor/local/redline/0 is missing here: the job is "redline".
      const run = await runSmoke(['--prometheus-url', prometheus.url, ...local, '--deadline', '1s', '--json'], { KUBECONFIG: api.kubeconfig });
      expect(run.code).to.equal(1);
      expect(run.outcome.reasons).to.deep.equal(['scrape pool: scrape pool serviceMonitor/local/redline/0 not found; Prometheus has redline; ' +
        'ServiceMonitor not selected: Prometheus selects release=kps, ServiceMonitor local/redline has release=prometheus']);
      expect(api.requests).to.include('/apis/monitoring.coreos.com/v1/namespaces/monitoring/prometheuses?labelSelector=release%3Dkps');
    } finally {
      await api.stop();
    }
  });

  it('fails when the scrape interval is not the expected one', async function () {
    const run = await runSmoke(['--prometheus-url', prometheus.url, '--namespace', 'local', '--scrape-pool', 'redline', '--deadline', '1s', '--json']);
    expect(run.code).to.equal(1);
    expect(run.outcome.reasons).to.deep.equal(['scrape interval: scrape interval is 1s, expected 5s']);
  });

  it('fails when the target is down, with the scrape error', async function () {
    await service.stop();
    await waitFor('Prometheus to see the target down', async () => {
      const [sample] = await prometheus.query('up{job="redline"}');
      return sample?.value === 0 ? true : undefined;
    }, { timeoutMs: 10_000 });
    const run = await runSmoke(['--prometheus-url', prometheus.url, ...local, '--scrape-pool', 'redline', '--deadline', '1s', '--json']);
    expect(run.code).to.equal(1);
    expect(run.outcome.reasons[0]).to.match(/^targets up: target 127\.0\.0\.1:\d+ is down: .*connection refused/);
  });
});

describe('smoke when the scraped target is not redline', function () {
  this.timeout(30_000);
  let prometheus: RunningPrometheus;

  before(async function () {
    // Prometheus scraping itself under redline's job and labels: up, but no RED metrics.
    const port = await freePort();
    const self = `127.0.0.1:${port}`;
    prometheus = await startPrometheus({
      port,
      scrapeInterval: '1s',
      scrapeTargets: [{ jobName: 'redline', targets: [self], labels: { namespace: 'local' } }],
    });
    await waitFor('a scrape', async () => ((await prometheus.query('up{job="redline"} == 1')).length ? true : undefined));
  });

  after(async () => prometheus?.stop());

  it('with a cluster, says why the PrometheusRule is not selected when no redline.* group is loaded', async function () {
    const api = await fakeClusterWithOtherRelease(this);
    try {
      const run = await runSmoke(['--prometheus-url', prometheus.url, ...local, '--scrape-pool', 'redline', '--deadline', '1s', '--json'], { KUBECONFIG: api.kubeconfig });
      expect(run.code).to.equal(1);
      const groups = run.outcome.checks.find((c) => c.name === 'rule groups')!;
      expect(groups.detail).to.match(
        /^no rule group named redline\.\* is loaded \(0 other group\(s\)\); PrometheusRule not selected: Prometheus selects release=kps, PrometheusRule local\/\S+ has release=prometheus$/);
    } finally {
      await api.stop();
    }
  });

  it('fails with "metrics absent"', async function () {
    const run = await runSmoke(['--prometheus-url', prometheus.url, ...local, '--scrape-pool', 'redline', '--deadline', '1s', '--json']);
    expect(run.code).to.equal(1);
    const byName = Object.fromEntries(run.outcome.checks.map((c) => [c.name, c]));
    expect(byName['targets up']?.ok).to.equal(true);
    expect(run.outcome.reasons[0]).to.equal(
      'metrics present: metrics absent: no http_requests_total series with {namespace="local",job="redline"}; is the target a redline /metrics endpoint?');
  });
});

describe('smoke without --prometheus-url (the cluster path)', function () {
  this.timeout(20_000);

  it('says so when there is no kubeconfig to use', async function () {
    const run = await runSmoke(['--deadline', '1s'], { KUBECONFIG: '/nonexistent/kubeconfig', HOME: '/nonexistent' });
    expect(run.code).to.equal(1);
    expect(run.stdout.trim()).to.equal('redline smoke: FAIL: no kubeconfig context: start the cluster (make kind-up) or pass --prometheus-url');
  });

  it('says kube-prometheus-stack is missing when the cluster has no Prometheus Service of the release', async function () {
    const api = await startFakeKubeApi([]);
    try {
      const run = await runSmoke(['--deadline', '1s', '--json'], { KUBECONFIG: api.kubeconfig });
      expect(run.code).to.equal(1);
      expect(run.outcome.reasons).to.have.length(1);
      expect(run.outcome.reasons[0]).to.match(/^cannot port-forward to Prometheus through the cluster at http:\/\/127\.0\.0\.1:\d+: /);
      expect(run.outcome.reasons[0]).to.match(/no Prometheus Service of release kps in namespace monitoring \(is kube-prometheus-stack installed\? run make kind-up\)$/);
      expect(api.requests).to.include('/api/v1/namespaces/monitoring/services?labelSelector=app%3Dkube-prometheus-stack-prometheus%2Crelease%3Dkps');
    } finally {
      await api.stop();
    }
  });
});
