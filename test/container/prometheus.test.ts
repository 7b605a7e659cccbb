// The compose wiring minus Grafana. A Prometheus container (a stand-in built from Debian's
// `prometheus` package on the same base) on one network with the redline container scrapes it by
// name, with the labels the local stack and compose use (job="redline", namespace="local").
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { stringify } from 'yaml';
import { freePort } from '../../scripts/lib/ports.ts';
import { PrometheusClient } from '../../scripts/lib/prometheus-api.ts';
import { prometheusConfig } from '../../scripts/lib/prometheus-server.ts';
import { waitFor } from '../../scripts/lib/wait.ts';
import { createNetwork, hardenedArgs, startContainer, type RunningContainer } from './support/container.ts';
import type { BuiltImage } from './support/image.ts';
import { podman, uniqueName } from './support/podman.ts';
import { requireImage } from './support/suite.ts';

const prometheusImage = 'localhost/redline-prometheus:standin';

describe('container wiring: Prometheus (stand-in image) scrapes the redline container by name', function () {
  let image: BuiltImage;
  let network: { name: string; remove(): Promise<void> };
  let service: RunningContainer;
  let prometheusName: string;
  let configDir: string;

  before(async function () {
    image = await requireImage(this);
    const emptyContext = await mkdtemp(join(tmpdir(), 'redline-prom-context-'));
    configDir = await mkdtemp(join(tmpdir(), 'redline-prom-config-'));
    try {
      // Layer-cached after the first run (apt-get from the Debian mirror, ~20 s once).
      await podman(['build', '--pull=never', '-f', 'hack/container/prometheus.Dockerfile', '-t', prometheusImage, emptyContext], {
        timeoutMs: 600_000,
      });
    } finally {
      await rm(emptyContext, { recursive: true, force: true });
    }
    network = await createNetwork();
    // SIM_ERROR_RATE=0: the test counts exact 200s, and list_items fails 1 in 2000 by default.
    service = await startContainer(image.tag, {
      name: uniqueName('redline'),
      network: network.name,
      publish: true,
      env: { SIM_ERROR_RATE: '0' },
    });
  });

  after(async function () {
    this.timeout(60_000);
    if (prometheusName) await podman(['rm', '--force', '--time', '0', prometheusName], { allowFailure: true });
    await service?.remove();
    await network?.remove();
    if (configDir) await rm(configDir, { recursive: true, force: true });
  });

  it('finds the target up at http://<container name>:8080/metrics and stores the RED series with job and namespace', async function () {
    this.timeout(60_000);
    const config = prometheusConfig({
      scrapeInterval: '1s',
      scrapeTargets: [{ jobName: 'redline', targets: [`${service.name}:8080`], labels: { namespace: 'local' } }],
    });
    await writeFile(join(configDir, 'prometheus.yml'), stringify(config), { mode: 0o644 });
    const port = await freePort();
    prometheusName = uniqueName('redline-prometheus');
    await podman([
      'run',
      '--detach',
      '--name',
      prometheusName,
      '--network',
      network.name,
      ...hardenedArgs,
      '--tmpfs',
      '/prometheus:rw,nosuid,nodev,noexec,size=64m,U' /* U: owned by the container user */,
      '--volume',
      `${join(configDir, 'prometheus.yml')}:/etc/prometheus/prometheus.yml:ro`,
      '--publish',
      `127.0.0.1:${port}:9090`,
      prometheusImage,
    ]);
    const prometheus = new PrometheusClient(`http://127.0.0.1:${port}`);

    const target = await waitFor(
      'the redline target to be up',
      async () => {
        const up = (await prometheus.targets()).find((t) => t.labels.job === 'redline' && t.health === 'up');
        return up;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(target.scrapeUrl).to.equal(`http://${service.name}:8080/metrics`);
    expect(target.labels).to.include({ job: 'redline', namespace: 'local', instance: `${service.name}:8080` });

    for (let i = 0; i < 7; i += 1) expect((await fetch(`${service.url}/api/items`)).status).to.equal(200);
    const expr = 'sum(http_requests_total{job="redline",namespace="local",route="/api/items",method="GET",status_code="200"})';
    const stored = await waitFor(
      'Prometheus to scrape the 7 requests',
      async () => {
        const [sample] = await prometheus.query(expr);
        return sample && sample.value >= 7 ? sample.value : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    expect(stored).to.equal(7);
    const [buckets] = await prometheus.query(
      'count(http_request_duration_seconds_bucket{job="redline",route="/api/items",status_code="200"})',
    );
    expect(buckets?.value).to.equal(15); // 14 boundaries + le="+Inf"
  });
});
