// scripts/smoke.ts against a real Prometheus scraping the real service (the same HTTP API the
// cluster's Prometheus serves), then the ways it must fail: pool missing, metrics absent,
// target down. Scrapes every 1s and short deadlines keep this quick.
import { expect } from 'chai';
import type { Context } from 'mocha';
import { freePort } from '../../scripts/lib/ports.ts';
import { type RunningPrometheus, startPrometheus } from '../../scripts/lib/prometheus-server.ts';
import { loadgenEntry, type RunningService, spawnNode, startService } from '../../scripts/lib/service-process.ts';
import { waitFor } from '../../scripts/lib/wait.ts';
import { join } from 'node:path';
import { startFakeKubeApi } from '../support/fake-kube-api.ts';
import { startFakeGrafana } from '../support/fake-grafana.ts';
import { helmTemplate, type Manifest } from '../../scripts/lib/helm.ts';
import { findKpsChart, kpsValuesFile, redlineValuesFile } from '../../scripts/lib/kube-prometheus-stack.ts';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { forEachPrometheus, type PrometheusInstall } from '../support/each-prometheus.ts';
import { requireKpsChart } from '../support/kps-chart.ts';
import { redlineRuleFile } from '../support/rule-file.ts';
import { writeRuleFile } from '../../scripts/lib/rules.ts';
import { runSmoke } from '../support/smoke-run.ts';

const local = ['--namespace', 'local', '--job', 'redline', '--interval', '1s'];

/**
 * A stand-in API server holding the real renders: kube-prometheus-stack's Prometheus CR (kind
 * values) and redline's chart in namespace "local", labelled for another release.
 */
async function fakeClusterWithOtherRelease(ctx: Context) {
  const [kps, redline] = await Promise.all([
    helmTemplate({ release: 'kps', chart: requireKpsChart(ctx), namespace: 'monitoring', valuesFiles: [kpsValuesFile] }),
    helmTemplate({
      release: 'redline',
      chart: join(repoRoot, 'charts/redline'),
      namespace: 'local',
      valuesFiles: [redlineValuesFile],
      extraArgs: ['--set', 'monitoring.selectorLabels.release=prometheus'],
    }),
  ]);
  return startFakeKubeApi([...kps, ...redline].filter((m) => ['Prometheus', 'ServiceMonitor', 'PrometheusRule'].includes(m.kind)));
}

function againstPrometheus(this: Mocha.Suite, install: PrometheusInstall) {
  this.timeout(60_000);
  let service: RunningService;
  let prometheus: RunningPrometheus;
  let loadgen: ReturnType<typeof spawnNode>;
  let rules: { file: string; cleanup(): Promise<void> };
  /** Smoke against this suite's Prometheus, with the Grafana check against `grafanaUrl`. */
  const smokeWithGrafana = (grafanaUrl: string, deadline: string, env: Record<string, string>) =>
    runSmoke(
      [
        '--prometheus-url',
        prometheus.url,
        '--grafana-url',
        grafanaUrl,
        ...local,
        '--scrape-pool',
        'redline',
        '--deadline',
        deadline,
        '--json',
      ],
      env,
    );

  before(async function () {
    rules = await redlineRuleFile();
    service = await startService({ env: { LOG_LEVEL: 'silent' } });
    // Bounded traffic: 20 req/s for at most 40s, stopped in after().
    loadgen = spawnNode(loadgenEntry, ['--target', service.url, '--rate', '20', '--duration', '40s'], {});
    prometheus = await startPrometheus({
      binary: install.prometheus,
      scrapeInterval: '1s',
      ruleFiles: [rules.file],
      scrapeTargets: [{ jobName: 'redline', targets: [`${service.host}:${service.port}`], labels: { namespace: 'local' } }],
    });
    // Two scrapes with traffic between them, so rate() has something to say.
    await waitFor(
      'two scrapes of redline',
      async () => {
        const [sample] = await prometheus.query('count_over_time(up{job="redline"}[1m])');
        return sample && sample.value >= 2 ? true : undefined;
      },
      { timeoutMs: 20_000 },
    );
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
      'scrape pool',
      'targets up',
      'scrapes recent',
      'scrape interval',
      'RED queries',
      'rule groups',
      'recording rules',
      'alert rules loaded',
      'no alert firing',
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

  it("--grafana: login from the cluster's Grafana Secret, dashboard by uid, datasource resolved, panel queries return data", async function () {
    const secret = await grafanaAdminSecret();
    const login = Object.fromEntries(Object.entries(secret.data!).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
    const [api, grafana] = await Promise.all([
      startFakeKubeApi([secret]),
      startFakeGrafana({
        user: login['admin-user']!,
        password: login['admin-password']!,
        dashboards: [await chartDashboard()],
        prometheusUrl: prometheus.url,
      }),
    ]);
    try {
      const run = await smokeWithGrafana(grafana.url, '30s', { KUBECONFIG: api.kubeconfig, GRAFANA_USER: '', GRAFANA_PASSWORD: '' });
      expect(run.outcome.reasons, run.stdout).to.deep.equal([]);
      expect(run.code).to.equal(0);
      const byName = Object.fromEntries(run.outcome.checks.map((c) => [c.name, c]));
      expect(byName['grafana ready']?.detail).to.equal(`${grafana.url} (Grafana 12.3.0)`);
      expect(byName['grafana dashboard']?.detail).to.match(/^"redline \/ RED" \(uid redline-red, \d+ panels\)$/);
      expect(byName['grafana datasource']?.detail).to.equal(
        'Prometheus (prometheus, uid prometheus; variable datasource: default prometheus datasource)',
      );
      expect(byName['grafana queries']?.detail).to.match(/^Request rate by route: \d+ point\(s\), Error ratio by route: \d+ point\(s\)$/);
      expect(run.outcome.grafana).to.equal(grafana.url);
      expect(grafana.requests).to.include.members([
        'GET /api/health',
        'GET /api/dashboards/uid/redline-red',
        'GET /api/datasources/uid/prometheus',
        'POST /api/ds/query',
      ]);
      expect(api.requests).to.include(
        '/api/v1/namespaces/monitoring/secrets?labelSelector=app.kubernetes.io%2Fname%3Dgrafana%2Capp.kubernetes.io%2Finstance%3Dkps%2Capp.kubernetes.io%2Fcomponent%3Dadmin-secret',
      );
    } finally {
      await Promise.all([api.stop(), grafana.stop()]);
    }
  });

  it('--grafana fails, with the reason, when the dashboard is not loaded, the login is wrong, or there is no Prometheus datasource', async function () {
    const dashboard = await chartDashboard();
    const cases = [
      {
        grafana: { dashboards: [], prometheusUrl: prometheus.url },
        reason: "grafana dashboard: dashboard redline-red not loaded (is the dashboard ConfigMap labelled for Grafana's sidecar?)",
      },
      {
        grafana: { dashboards: [dashboard], prometheusUrl: prometheus.url, password: 'other' },
        reason: 'grafana dashboard: GET /api/dashboards/uid/redline-red answered 401: Invalid username or password',
      },
      { grafana: { dashboards: [dashboard] }, reason: 'grafana datasource: no prometheus datasource in Grafana (it has none)' },
    ];
    for (const { grafana: options, reason } of cases) {
      const grafana = await startFakeGrafana({ user: 'admin', password: 'secret', ...options });
      try {
        const run = await smokeWithGrafana(grafana.url, '1s', { GRAFANA_USER: 'admin', GRAFANA_PASSWORD: 'secret' });
        expect(run.code, run.stdout).to.equal(1);
        expect(run.outcome.reasons).to.deep.equal([reason]);
      } finally {
        await grafana.stop();
      }
    }
  });

  it('through port-forwards (the cluster path): waits while the Prometheus pod is not Ready, then passes, Grafana included', async function () {
    const kps = await helmTemplate({
      release: 'kps',
      chart: requireKpsChart(this),
      namespace: 'monitoring',
      extraArgs: ['-f', kpsValuesFile],
    });
    const prometheusService = kps.find((m) => m.kind === 'Service' && m.metadata.labels?.app === 'kube-prometheus-stack-prometheus')!;
    const grafanaService = kps.find((m) => m.kind === 'Service' && m.metadata.name === 'kps-grafana')!;
    const secret = kps.find((m) => m.kind === 'Secret' && m.metadata.labels?.['app.kubernetes.io/component'] === 'admin-secret')!;
    const login = Object.fromEntries(Object.entries(secret.data!).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
    const ready = (status: 'True' | 'False') => ({ phase: 'Running', conditions: [{ type: 'Ready', status }] });
    const prometheusPod: Manifest = {
      apiVersion: 'v1',
      kind: 'Pod',
      status: ready('False'),
      metadata: {
        name: 'prometheus-kps-kube-prometheus-stack-prometheus-0',
        namespace: 'monitoring',
        labels: { ...prometheusService.spec!.selector },
      },
    };
    const grafanaPod: Manifest = {
      apiVersion: 'v1',
      kind: 'Pod',
      status: ready('True'),
      metadata: { name: 'kps-grafana-7d9f8b6c5-x2x4z', namespace: 'monitoring', labels: { ...grafanaService.spec!.selector } },
      spec: { containers: [{ name: 'grafana', ports: [{ name: 'grafana', containerPort: 3000 }] }] },
    };
    const grafana = await startFakeGrafana({
      user: login['admin-user']!,
      password: login['admin-password']!,
      dashboards: [await chartDashboard()],
      prometheusUrl: prometheus.url,
    });
    const api = await startFakeKubeApi(
      [prometheusService, grafanaService, secret, prometheusPod, grafanaPod],
      { context: 'kind-redline', current: 'elsewhere' },
      { [prometheusPod.metadata.name]: prometheus.url, [grafanaPod.metadata.name]: grafana.url },
    );
    // The operator's pod passes its readiness probe once smoke has found it not Ready twice.
    const lookups = () =>
      api.requests.filter((r) => r.startsWith('/api/v1/namespaces/monitoring/pods?labelSelector=app.kubernetes.io%2Fname%3Dprometheus'))
        .length;
    const becomesReady = setInterval(() => {
      if (lookups() >= 2) prometheusPod.status = ready('True');
    }, 50);
    try {
      const run = await runSmoke(
        ['--context', 'kind-redline', ...local, '--scrape-pool', 'redline', '--grafana', '--deadline', '40s', '--json'],
        { KUBECONFIG: api.kubeconfig, GRAFANA_USER: '', GRAFANA_PASSWORD: '' },
      );
      expect(run.outcome.reasons, run.stdout + run.stderr).to.deep.equal([]);
      expect(run.code).to.equal(0);
      expect(run.outcome.attempts, 'retried while the pod was not ready').to.be.at.least(2);
      expect(run.outcome.via).to.equal('monitoring/kps-kube-prometheus-stack-prometheus:9090');
      expect(run.outcome.grafanaVia).to.equal('monitoring/kps-grafana:3000');
      expect(run.outcome.checks.filter((c) => c.name.startsWith('grafana')).map((c) => c.ok)).to.deep.equal([true, true, true, true]);
      expect(api.requests).to.include.members([
        `/api/v1/namespaces/monitoring/pods/${prometheusPod.metadata.name}/portforward?ports=9090`,
        `/api/v1/namespaces/monitoring/pods/${grafanaPod.metadata.name}/portforward?ports=3000`,
      ]);
    } finally {
      clearInterval(becomesReady);
      await Promise.all([api.stop(), grafana.stop()]);
    }
  });

  it('reads the recorded RED series: a --window the rules do not record fails, naming the rule, not as "no traffic"', async function () {
    const run = await runSmoke([
      '--prometheus-url',
      prometheus.url,
      ...local,
      '--scrape-pool',
      'redline',
      '--window',
      '2m',
      '--deadline',
      '1s',
      '--json',
    ]);
    expect(run.code, run.stdout).to.equal(1);
    expect(run.outcome.reasons).to.deep.equal([
      "RED queries: the recording rule namespace_job_route:http_requests:rate2m is not loaded: the RED table reads it (are the chart's rules loaded? the chart records 1m, 5m and prometheusRule.redWindows; --window 2m)",
    ]);
    expect(run.outcome.red).to.deep.equal([]);
  });

  it('fails when the redline.* groups hold no alerting rule (alerts.enabled false), though none can fire', async function () {
    await writeRuleFile(rules.file, { namespace: 'local', release: 'redline', values: { alerts: { enabled: false } } });
    try {
      await prometheus.reload();
      await waitFor('the alert-less rules to load', async () =>
        (await prometheus.ruleGroups()).some((g) => g.name === 'redline.alerts') ? undefined : true,
      );
      const run = await runSmoke(['--prometheus-url', prometheus.url, ...local, '--scrape-pool', 'redline', '--deadline', '1s', '--json']);
      expect(run.code).to.equal(1);
      const byName = Object.fromEntries(run.outcome.checks.map((c) => [c.name, c]));
      expect(byName['alert rules loaded']).to.deep.include({ ok: false, detail: 'no Redline* alerting rule in the redline.* groups' });
      expect(byName['no alert firing']?.ok).to.equal(true);
    } finally {
      await writeRuleFile(rules.file, { namespace: 'local', release: 'redline' });
      await prometheus.reload();
    }
  });

  it('fails when the scrape pool is missing, naming the pools Prometheus has', async function () {
    const run = await runSmoke(['--prometheus-url', prometheus.url, ...local, '--deadline', '1s', '--json']);
    expect(run.code).to.equal(1);
    expect(run.outcome.reasons[0]).to.match(
      /^scrape pool: scrape pool serviceMonitor\/local\/redline\/0 not found; Prometheus has redline/,
    );
    // No cluster here: the "not selected" diagnosis is skipped, and says so.
    expect(run.outcome.reasons[0]).to.contain('ServiceMonitor selection not diagnosed');
  });

  it('with a cluster, says why the ServiceMonitor is not selected', async function () {
    const api = await fakeClusterWithOtherRelease(this);
    try {
      // The default pool serviceMonitor/local/redline/0 is missing here: the job is "redline".
      const run = await runSmoke(['--prometheus-url', prometheus.url, ...local, '--deadline', '1s', '--json'], {
        KUBECONFIG: api.kubeconfig,
      });
      expect(run.code).to.equal(1);
      expect(run.outcome.reasons).to.deep.equal([
        'scrape pool: scrape pool serviceMonitor/local/redline/0 not found; Prometheus has redline; ' +
          'ServiceMonitor not selected: Prometheus selects release=kps, ServiceMonitor local/redline has release=prometheus',
      ]);
      expect(api.requests).to.include('/apis/monitoring.coreos.com/v1/namespaces/monitoring/prometheuses?labelSelector=release%3Dkps');
    } finally {
      await api.stop();
    }
  });

  it('fails when the scrape interval is not the expected one', async function () {
    const run = await runSmoke([
      '--prometheus-url',
      prometheus.url,
      '--namespace',
      'local',
      '--scrape-pool',
      'redline',
      '--deadline',
      '1s',
      '--json',
    ]);
    expect(run.code).to.equal(1);
    expect(run.outcome.reasons).to.deep.equal(['scrape interval: scrape interval is 1s, expected 5s']);
  });

  it('fails when the target is down, with the scrape error', async function () {
    await service.stop();
    await waitFor(
      'Prometheus to see the target down',
      async () => {
        const [sample] = await prometheus.query('up{job="redline"}');
        return sample?.value === 0 ? true : undefined;
      },
      { timeoutMs: 10_000 },
    );
    const run = await runSmoke(['--prometheus-url', prometheus.url, ...local, '--scrape-pool', 'redline', '--deadline', '1s', '--json']);
    expect(run.code).to.equal(1);
    expect(run.outcome.reasons[0]).to.match(/^targets up: target 127\.0\.0\.1:\d+ is down: .*connection refused/);
  });
}

describe('smoke (scripts/smoke.ts) against a real Prometheus', () => forEachPrometheus({}, againstPrometheus));

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
      const run = await runSmoke(['--prometheus-url', prometheus.url, ...local, '--scrape-pool', 'redline', '--deadline', '1s', '--json'], {
        KUBECONFIG: api.kubeconfig,
      });
      expect(run.code).to.equal(1);
      const groups = run.outcome.checks.find((c) => c.name === 'rule groups')!;
      expect(groups.detail).to.match(
        /^no rule group named redline\.\* is loaded \(0 other group\(s\)\); PrometheusRule not selected: Prometheus selects release=kps, PrometheusRule local\/\S+ has release=prometheus$/,
      );
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
      'metrics present: metrics absent: no http_requests_total series with {namespace="local",job="redline"}; is the target a redline /metrics endpoint?',
    );
  });
});

describe('smoke without --prometheus-url (the cluster path)', function () {
  this.timeout(20_000);

  it('says so when there is no kubeconfig to use', async function () {
    const run = await runSmoke(['--deadline', '1s'], { KUBECONFIG: '/nonexistent/kubeconfig', HOME: '/nonexistent' });
    expect(run.code).to.equal(1);
    expect(run.stdout.trim()).to.equal(
      'redline smoke: FAIL: no kubeconfig context: start the cluster (make kind-up) or pass --prometheus-url',
    );
  });

  it('says kube-prometheus-stack is missing when the cluster has no Prometheus Service of the release', async function () {
    const api = await startFakeKubeApi([]);
    try {
      const run = await runSmoke(['--deadline', '1s', '--json'], { KUBECONFIG: api.kubeconfig });
      expect(run.code).to.equal(1);
      expect(run.outcome.reasons).to.have.length(1);
      expect(run.outcome.reasons[0]).to.match(/^cannot port-forward to Prometheus through the cluster at http:\/\/127\.0\.0\.1:\d+: /);
      expect(run.outcome.reasons[0]).to.match(
        /no Prometheus Service of release kps in namespace monitoring \(is kube-prometheus-stack installed\? run make kind-up\)$/,
      );
      expect(api.requests).to.include(
        '/api/v1/namespaces/monitoring/services?labelSelector=app%3Dkube-prometheus-stack-prometheus%2Crelease%3Dkps',
      );
    } finally {
      await api.stop();
    }
  });
});

/**
 * kube-prometheus-stack's Prometheus Service (the real render when the chart is at hand) and
 * the pod the operator starts behind it, not Ready yet: what the cluster holds between
 * `helm --wait` returning and the StatefulSet's pod passing its readiness probe.
 */
async function prometheusNotReady(): Promise<Manifest[]> {
  const chart = findKpsChart().chart;
  const rendered = chart ? await helmTemplate({ release: 'kps', chart, namespace: 'monitoring', extraArgs: ['-f', kpsValuesFile] }) : [];
  const service = rendered.find((m) => m.kind === 'Service' && m.metadata.labels?.app === 'kube-prometheus-stack-prometheus') ?? {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'kps-kube-prometheus-stack-prometheus',
      namespace: 'monitoring',
      labels: { app: 'kube-prometheus-stack-prometheus', release: 'kps' },
    },
    spec: {
      selector: { 'app.kubernetes.io/name': 'prometheus', 'operator.prometheus.io/name': 'kps-kube-prometheus-stack-prometheus' },
      ports: [{ name: 'http-web', port: 9090, targetPort: 9090 }],
    },
  };
  const pod: Manifest = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'prometheus-kps-kube-prometheus-stack-prometheus-0', namespace: 'monitoring', labels: { ...service.spec!.selector } },
    status: {
      phase: 'Running',
      conditions: [
        { type: 'PodScheduled', status: 'True' },
        { type: 'Ready', status: 'False', reason: 'ContainersNotReady' },
      ],
    },
  };
  return [service, pod];
}

describe('smoke --context', function () {
  this.timeout(30_000);

  it('asks the cluster of the named context, not the current one', async function () {
    const api = await startFakeKubeApi([], { context: 'kind-redline', current: 'production' });
    try {
      const run = await runSmoke(['--context', 'kind-redline', '--deadline', '1s', '--json'], { KUBECONFIG: api.kubeconfig });
      expect(run.code).to.equal(1);
      expect(run.outcome.reasons[0]).to.match(
        /^cannot port-forward to Prometheus through the cluster at http:\/\/127\.0\.0\.1:(?!1\b)\d+: no Prometheus Service of release kps/,
      );
      expect(api.requests).to.include(
        '/api/v1/namespaces/monitoring/services?labelSelector=app%3Dkube-prometheus-stack-prometheus%2Crelease%3Dkps',
      );
    } finally {
      await api.stop();
    }
  });

  it('fails, naming the contexts there are, when the kubeconfig lacks it', async function () {
    const api = await startFakeKubeApi([], { context: 'kind-other' });
    try {
      const run = await runSmoke(['--context', 'kind-redline', '--deadline', '1s', '--json'], { KUBECONFIG: api.kubeconfig });
      expect(run.code).to.equal(1);
      expect(run.outcome.reasons).to.deep.equal([
        'kubeconfig has no context kind-redline (it has kind-other): start the cluster (make kind-up) or pass --prometheus-url',
      ]);
      expect(api.requests).to.deep.equal([]);
    } finally {
      await api.stop();
    }
  });
});

describe('smoke through a port-forward while Prometheus is not ready', function () {
  this.timeout(30_000);

  for (const json of [true, false]) {
    it(`retries until its deadline and reports "Prometheus pod not ready"${json ? ' (--json)' : ''}`, async function () {
      const api = await startFakeKubeApi(await prometheusNotReady());
      try {
        const started = Date.now();
        const run = await runSmoke(['--deadline', '3s', ...(json ? ['--json'] : [])], { KUBECONFIG: api.kubeconfig });
        expect(run.stderr, 'no crash').to.not.match(/Unhandled 'error' event|node:events/);
        expect(run.code, run.stdout + run.stderr).to.equal(1);
        expect(Date.now() - started).to.be.at.least(3_000);
        const podLists = api.requests.filter((r) => r.startsWith('/api/v1/namespaces/monitoring/pods?'));
        expect(podLists.length, 'one pod lookup per attempt').to.be.at.least(2);
        const reason =
          /^prometheus ready: Prometheus pod not ready: No ready pods found with selector "app\.kubernetes\.io\/name=prometheus,\S*" in namespace monitoring$/;
        if (json) {
          expect(run.outcome.ok).to.equal(false);
          expect(run.outcome.attempts).to.be.at.least(2);
          expect(run.outcome.via).to.equal('monitoring/kps-kube-prometheus-stack-prometheus:9090');
          expect(run.outcome.reasons).to.have.length(1);
          expect(run.outcome.reasons[0]).to.match(reason);
        } else {
          expect(run.stdout).to.match(/^ {2}FAIL {2}prometheus ready +Prometheus pod not ready: No ready pods found/m);
          expect(run.stdout).to.match(/^FAIL after [3-9]\.\ds \([2-9] attempt\(s\)\):$/m);
        }
      } finally {
        await api.stop();
      }
    });
  }
});

/** The dashboard as Grafana's sidecar loads it: from the chart's ConfigMap, rendered with the kind values. */
async function chartDashboard(): Promise<{ uid: string }> {
  const rendered = await helmTemplate({
    release: 'redline',
    chart: join(repoRoot, 'charts/redline'),
    namespace: 'redline',
    extraArgs: ['-f', redlineValuesFile],
  });
  const configMap = rendered.find((m) => m.kind === 'ConfigMap' && m.metadata.labels?.grafana_dashboard === '1')!;
  const [json] = Object.entries(configMap.data ?? {})
    .filter(([key]) => key.endsWith('.json'))
    .map(([, value]) => value);
  return JSON.parse(json!) as { uid: string };
}

/** kube-prometheus-stack's Grafana admin Secret: the real render when the chart is at hand. */
async function grafanaAdminSecret(): Promise<Manifest> {
  const chart = findKpsChart().chart;
  const rendered = chart ? await helmTemplate({ release: 'kps', chart, namespace: 'monitoring', extraArgs: ['-f', kpsValuesFile] }) : [];
  return (
    rendered.find((m) => m.kind === 'Secret' && m.metadata.labels?.['app.kubernetes.io/component'] === 'admin-secret') ?? {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'kps-grafana',
        namespace: 'monitoring',
        labels: { 'app.kubernetes.io/name': 'grafana', 'app.kubernetes.io/instance': 'kps', 'app.kubernetes.io/component': 'admin-secret' },
      },
      data: { 'admin-user': Buffer.from('admin').toString('base64'), 'admin-password': Buffer.from('Zq8XTd1vS7kP').toString('base64') },
    }
  );
}
