// The commands the chart runs in-cluster, run here against the real service: the helm test
// hook's node script and the load generator's command line.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { helmTemplate, type Manifest } from '../../../scripts/lib/helm.ts';
import { freePort } from '../../../scripts/lib/ports.ts';
import { type RunningService, startService } from '../../../scripts/lib/service-process.ts';
import { waitFor } from '../../../scripts/lib/wait.ts';
import { get, spec, type PodSpec, type PodTemplate } from '../../../test/support/chart/manifests.ts';
import { defaultImage, loadValues, VALUES_DIR } from '../../../test/support/chart/values.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** Starts a container command with this machine's node, from the repository root (the image's workdir layout). */
function start(command: string[], env: Record<string, string> = {}) {
  const [program, ...args] = command;
  expect(program).to.equal('node');
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk));
  const done = new Promise<{ code: number | null; output: string }>((resolve) => child.on('exit', (code) => resolve({ code, output })));
  return { kill: (signal: NodeJS.Signals) => child.kill(signal), done };
}

const run = (command: string[], env: Record<string, string>) => start(command, env).done;

async function requestCount(url: string): Promise<number> {
  const body = await (await fetch(`${url}/metrics`)).text();
  return [...body.matchAll(/^http_requests_total\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

describe('chart: in-cluster commands against the real service', function () {
  this.timeout(30_000);
  let service: RunningService;
  let manifests: Manifest[];

  before(async () => {
    manifests = await helmTemplate({ valuesFiles: [join(VALUES_DIR, 'loadgen-on.yaml')] });
    service = await startService();
  });
  after(async () => {
    await service?.stop();
  });

  const testPod = () => spec<PodSpec>(get(manifests, 'Pod')).containers[0]!;

  it('the helm test hook is a test hook using the chart image', async () => {
    const pod = get(manifests, 'Pod');
    expect(pod.metadata.annotations?.['helm.sh/hook']).to.equal('test');
    expect(testPod().image).to.equal(await defaultImage());
    expect(testPod().env).to.deep.include({ name: 'REDLINE_URL', value: 'http://redline.default.svc:8080' });
  });

  it('the helm test script passes against a running redline', async () => {
    const result = await run(testPod().command!, { REDLINE_URL: service.url });
    expect(result.code, result.output).to.equal(0);
    expect(result.output).to.include('/metrics holds the RED metrics');
  });

  it('the helm test script fails when the service does not answer as redline', async () => {
    const result = await run(testPod().command!, { REDLINE_URL: `${service.url}/elsewhere` });
    expect(result.code).to.equal(1);
    expect(result.output).to.match(/GET \/api\/items answered 404/);
  });

  it('the load generator command drives traffic at the configured rate until SIGTERM', async () => {
    const container = spec<{ template: PodTemplate }>(get(manifests, 'Deployment', 'redline-loadgen')).template.spec.containers[0]!;
    const command = [...container.command!];
    const targetIndex = command.indexOf('--target') + 1;
    expect(command[targetIndex]).to.equal('http://redline:8080');
    command[targetIndex] = service.url;
    const { rate } = (await loadValues([join(VALUES_DIR, 'loadgen-on.yaml')])).loadgen;
    const before = await requestCount(service.url);
    const child = start(command);
    // Measure 2s of steady traffic once it has started (start-up time varies on a busy machine).
    await waitFor('the first requests', async () => ((await requestCount(service.url)) > before ? true : undefined), { timeoutMs: 15_000 });
    const from = await requestCount(service.url);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const sent = (await requestCount(service.url)) - from;
    child.kill('SIGTERM');
    const result = await child.done;
    expect(result.code, result.output).to.equal(0);
    expect(sent / 2, 'requests per second').to.be.within(rate * 0.6, rate * 1.4);
  });

  describe('with metrics.port (/metrics on its own listener)', () => {
    let split: RunningService;
    let metricsUrl: string;
    let command: string[];
    before(async () => {
      const rendered = await helmTemplate({ valuesFiles: [join(VALUES_DIR, 'exposed.yaml')] });
      const pod = spec<PodSpec>(get(rendered, 'Pod')).containers[0]!;
      expect(pod.env).to.deep.include({ name: 'REDLINE_METRICS_URL', value: 'http://redline.default.svc:9100' });
      command = pod.command!;
      // The Deployment's METRICS_PORT, moved to a free port of this machine.
      const env = spec<{ template: PodTemplate }>(get(rendered, 'Deployment', 'redline')).template.spec.containers[0]!.env!;
      expect(env).to.deep.include({ name: 'METRICS_PORT', value: '9100' });
      const port = await freePort();
      split = await startService({ env: { METRICS_PORT: String(port) } });
      metricsUrl = `http://127.0.0.1:${port}`;
    });
    after(async () => {
      await split?.stop();
    });

    it('the helm test script reads /metrics from the metrics port', async () => {
      const result = await run(command, { REDLINE_URL: split.url, REDLINE_METRICS_URL: metricsUrl });
      expect(result.code, result.output).to.equal(0);
    });

    it('and fails if it looked on the API port, where the service no longer serves /metrics', async () => {
      const result = await run(command, { REDLINE_URL: split.url, REDLINE_METRICS_URL: split.url });
      expect(result.code).to.equal(1);
      expect(result.output).to.match(/GET \/metrics answered 404/);
    });
  });
});
