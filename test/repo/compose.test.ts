// compose.yaml and what it mounts: the compose spec (dclint bundles its JSON schema), the
// Prometheus config through the real promtool with the files laid out as compose mounts them,
// and the Grafana provisioning. `docker compose config` itself cannot run here (no compose plugin).
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { helmTemplate } from '../../scripts/lib/helm.ts';
import { kpsValuesFile } from '../../scripts/lib/kube-prometheus-stack.ts';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { prometheusInstall } from '../../scripts/lib/prometheus-versions.ts';
import { withTempDir } from '../../scripts/lib/temp-dir.ts';
import { requireKpsChart } from '../support/kps-chart.ts';
import { redlineRuleFile } from '../support/rule-file.ts';

const run = promisify(execFile);

interface Bind {
  type: string;
  source: string;
  target: string;
  read_only?: boolean;
  bind?: { create_host_path?: boolean };
}
interface Service {
  image?: string;
  build?: string;
  command?: string[];
  ports?: string[];
  environment?: Record<string, string>;
  volumes?: (Bind | string)[];
}
interface Compose {
  services: Record<string, Service>;
}

const composeText = await readFile(join(repoRoot, 'compose.yaml'), 'utf8');
const compose = parse(composeText) as Compose;
const binds = (service: string) =>
  (compose.services[service]!.volumes ?? []).filter((v): v is Bind => typeof v === 'object' && v.type === 'bind');
const bindTo = (service: string, target: string) => binds(service).find((b) => b.target === target);

async function dclint(file: string, cwd: string): Promise<{ code: number; errors: number; messages: string[] }> {
  const bin = join(repoRoot, 'node_modules/.bin/dclint');
  const args = ['-c', join(repoRoot, 'compose/dclint.json'), '--max-warnings', '0', '-f', 'json', file];
  const result = await run(bin, args, { cwd }).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
  );
  const [report] = JSON.parse(result.stdout) as { errorCount: number; messages: { message: string }[] }[];
  return { code: result.code, errors: report!.errorCount, messages: report!.messages.map((m) => m.message) };
}

/** Lays out Prometheus' bind mounts under a temporary root, as the container sees them. */
async function withPrometheusRoot<T>(
  ruleFile: string | undefined,
  fn: (config: string) => Promise<T>,
  editConfig?: (text: string) => string,
): Promise<T> {
  return withTempDir('redline-compose-', async (root) => {
    for (const bind of binds('prometheus')) {
      const isRules = bind.source === './.local/redline.rules.yml';
      if (isRules && !ruleFile) continue;
      const at = join(root, bind.target);
      await mkdir(dirname(at), { recursive: true });
      if (editConfig && bind.target === '/etc/prometheus/prometheus.yml')
        await writeFile(at, editConfig(await readFile(join(repoRoot, bind.source), 'utf8')));
      else await symlink(isRules ? ruleFile! : join(repoRoot, bind.source), at);
    }
    return fn(join(root, '/etc/prometheus/prometheus.yml'));
  });
}

/** The installed Prometheus 3 promtool, and whether it knows scrape_native_histograms (>= 3.8). */
function promtool3(): { promtool: string; version: string; knowsNativeSetting: boolean } {
  const install = prometheusInstall(3);
  if (!install) throw new Error('Prometheus 3.x is not installed: run `make bootstrap`');
  const [major = 0, minor = 0] = install.version.split('.').map(Number);
  return { promtool: install.promtool, version: install.version, knowsNativeSetting: major > 3 || minor >= 8 };
}

/** compose's config for a promtool older than 3.8, which rejects the (checked) native setting. */
const withoutNativeSetting = (text: string) => text.replace(/^\s*scrape_native_histograms: true\n/m, '');

describe('compose.yaml', function () {
  this.timeout(30_000);

  it('passes dclint: the compose spec schema and its lint rules, no warnings', async function () {
    const result = await dclint('compose.yaml', repoRoot);
    expect(result.messages).to.deep.equal([]);
    expect(result.code).to.equal(0);
  });

  it('dclint rejects a compose file with an unknown key (so a pass means something)', async function () {
    await withTempDir('redline-dclint-', async (dir) => {
      const broken = structuredClone(compose) as Compose & { services: Record<string, Record<string, unknown>> };
      broken.services.redline!.restart_policy = 'always';
      await writeFile(join(dir, 'compose.yaml'), stringify(broken));
      const result = await dclint('compose.yaml', dir);
      expect(result.code).to.not.equal(0);
      expect(result.messages.join('\n')).to.match(/additional properties/);
    });
  });

  it('runs redline and the load generator from the same build, aimed at redline', function () {
    const { redline, loadgen } = compose.services;
    expect(redline!.build).to.equal('.');
    expect(loadgen!.build).to.equal('.');
    expect(loadgen!.command!.slice(0, 2)).to.deep.equal(['node', 'service/src/loadgen/main.ts']);
    expect(loadgen!.command).to.include('http://redline:8080');
  });

  it('pins Prometheus and Grafana to the releases kube-prometheus-stack 88.5.3 runs', async function () {
    const manifests = await helmTemplate({
      release: 'kps',
      chart: requireKpsChart(this),
      namespace: 'monitoring',
      valuesFiles: [kpsValuesFile],
    });
    const text = stringify(manifests);
    const prometheus = /quay\.io\/prometheus\/prometheus:(v[\d.]+)/.exec(text)?.[1];
    const grafana = /docker\.io\/grafana\/grafana:([\d.]+)/.exec(text)?.[1];
    expect(compose.services.prometheus!.image).to.equal(`prom/prometheus:${prometheus}`);
    expect(compose.services.grafana!.image).to.equal(`grafana/grafana:${grafana}`);
  });

  it('publishes every port on 127.0.0.1 only, Grafana on 3000 with admin/admin', function () {
    const ports = Object.values(compose.services).flatMap((s) => s.ports ?? []);
    expect(ports).to.have.members(['127.0.0.1:8080:8080', '127.0.0.1:9090:9090', '127.0.0.1:3000:3000']);
    expect(compose.services.grafana!.environment).to.include({ GF_SECURITY_ADMIN_USER: 'admin', GF_SECURITY_ADMIN_PASSWORD: 'admin' });
  });
});

describe('compose/prometheus/prometheus.yml', function () {
  this.timeout(30_000);
  let rules: { file: string; cleanup(): Promise<void> };
  before(async () => {
    rules = await redlineRuleFile([join(repoRoot, 'compose/redline-values.yaml')]);
  });
  after(async () => rules?.cleanup());

  it('scrapes redline every 5s with the labels the rules and dashboard expect', async function () {
    const config = parse(await readFile(join(repoRoot, 'compose/prometheus/prometheus.yml'), 'utf8'));
    expect(config.global.scrape_interval).to.equal('5s');
    const job = config.scrape_configs.find((j: { job_name: string }) => j.job_name === 'redline');
    expect(job.static_configs).to.deep.equal([{ targets: ['redline:8080'], labels: { namespace: 'local' } }]);
  });

  it("scrapes redline's native histograms over protobuf, keeping the classic buckets, as the chart's native ServiceMonitor does", async function () {
    const config = parse(await readFile(join(repoRoot, 'compose/prometheus/prometheus.yml'), 'utf8'));
    const job = config.scrape_configs.find((j: { job_name: string }) => j.job_name === 'redline');
    const rendered = await helmTemplate({ valuesFiles: [join(repoRoot, 'compose/redline-values.yaml')] });
    const spec = rendered.find((m) => m.kind === 'ServiceMonitor')!.spec as { scrapeProtocols: string[] };
    expect(job).to.include({ scrape_native_histograms: true, always_scrape_classic_histograms: true });
    expect(job.scrape_protocols).to.deep.equal(spec.scrapeProtocols);
    expect(compose.services.redline!.environment).to.include({ METRICS_NATIVE_HISTOGRAMS: 'true' });
    // What the check below leaves out for promtool < 3.8: that one line, nothing else.
    const text = await readFile(join(repoRoot, 'compose/prometheus/prometheus.yml'), 'utf8');
    expect(withoutNativeSetting(text)).to.not.match(/^\s*scrape_native_histograms:/m);
    expect(withoutNativeSetting(text).split('\n')).to.have.length(text.split('\n').length - 1);
  });

  it('loads rules that read the native latency histogram (make compose-up renders them with compose/redline-values.yaml)', async function () {
    const text = await readFile(rules.file, 'utf8');
    expect(text).to.include('histogram_fraction(0, 0.5, sum by (namespace, job) (rate(http_request_duration_seconds{');
    expect(text).to.not.include('http_request_duration_seconds_bucket');
    const { stdout } = await run('make', ['-n', 'compose-up'], { cwd: repoRoot });
    expect(stdout).to.match(/node scripts\/rules\.ts --out \S+ --values compose\/redline-values\.yaml/);
  });

  it('passes promtool check config with the rule file where compose mounts it (Prometheus 3)', async function () {
    // promtool < 3.8 does not know scrape_native_histograms (checked above): it checks the rest.
    const tool = promtool3();
    if (!tool.knowsNativeSetting) console.warn(`      promtool ${tool.version} < 3.8: scrape_native_histograms left out of the check`);
    await withPrometheusRoot(
      rules.file,
      async (config) => {
        const { stdout } = await run(tool.promtool, ['check', 'config', config]);
        expect(stdout).to.match(/SUCCESS: 1 rule files found/);
        expect(stdout).to.match(/rules\/redline\.rules\.yml\s*\n\s*SUCCESS: [1-9]\d* rules found/);
      },
      tool.knowsNativeSetting ? undefined : withoutNativeSetting,
    );
  });

  it('fails promtool check config when the rule file is not mounted (the path is checked)', async function () {
    const tool = promtool3();
    await withPrometheusRoot(
      undefined,
      async (config) => {
        const failed = await run(tool.promtool, ['check', 'config', config]).then(
          () => undefined,
          (e: { stdout: string; stderr: string }) => e.stdout + e.stderr,
        );
        expect(failed).to.match(/redline\.rules\.yml/);
      },
      tool.knowsNativeSetting ? undefined : withoutNativeSetting,
    );
  });

  it('compose mounts the rule file read-only and refuses to start without it', function () {
    const rulesBind = bindTo('prometheus', '/etc/prometheus/rules/redline.rules.yml');
    expect(rulesBind).to.deep.include({ source: './.local/redline.rules.yml', read_only: true, bind: { create_host_path: false } });
    expect(bindTo('prometheus', '/etc/prometheus/prometheus.yml')?.source).to.equal('./compose/prometheus/prometheus.yml');
  });
});

describe('compose/grafana/provisioning', function () {
  const provisioning = join(repoRoot, 'compose/grafana/provisioning');

  it('is mounted where Grafana reads provisioning', function () {
    expect(bindTo('grafana', '/etc/grafana/provisioning')).to.deep.include({ source: './compose/grafana/provisioning', read_only: true });
  });

  it('provisions the Prometheus datasource: http://prometheus:9090, server (proxy) access, fixed uid', async function () {
    const file = parse(await readFile(join(provisioning, 'datasources/prometheus.yaml'), 'utf8'));
    expect(file.apiVersion).to.equal(1);
    expect(file.datasources).to.have.length(1);
    expect(file.datasources[0]).to.include({
      type: 'prometheus',
      uid: 'prometheus',
      access: 'proxy',
      url: 'http://prometheus:9090',
      isDefault: true,
    });
    // The URL names the compose service that runs Prometheus, on the port it listens on.
    expect(compose.services).to.have.property('prometheus');
  });

  it("provisions the chart's own dashboard JSON from the directory compose mounts it into", async function () {
    const file = parse(await readFile(join(provisioning, 'dashboards/redline.yaml'), 'utf8'));
    expect(file.apiVersion).to.equal(1);
    const [provider] = file.providers;
    expect(provider).to.include({ type: 'file', allowUiUpdates: false });
    // The native variant: compose's Prometheus scrapes native histograms.
    const dashboardBind = binds('grafana').find((b) => b.source === './charts/redline/dashboards/redline-native.json');
    expect(dashboardBind, 'the chart dashboard is mounted').to.not.equal(undefined);
    expect(posix.dirname(dashboardBind!.target)).to.equal(provider.options.path);
    const dashboard = JSON.parse(await readFile(join(repoRoot, 'charts/redline/dashboards/redline-native.json'), 'utf8'));
    expect(dashboard.uid).to.be.a('string').and.not.equal('');
    // Its datasource variable picks a Prometheus datasource: the provisioned default.
    const variable = dashboard.templating.list.find((v: { type: string }) => v.type === 'datasource');
    expect(variable).to.include({ query: 'prometheus' });
    expect(compose.services.grafana!.environment!.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).to.equal(dashboardBind!.target);
  });
});
