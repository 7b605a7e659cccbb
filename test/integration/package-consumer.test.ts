// The metrics package as a user installs it: `npm pack`'s tarball installed into a scratch app
// outside the repository, with the oldest and the newest Koa (and @koa/router) its package.json
// claims; the app requires it from CommonJS, serves traffic, and a real Prometheus 3 scrapes it
// with native histograms on. The same check runs against a real registry in make release-check.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { consumerRun, NEWEST_PEERS, OLDEST_PEERS, packPackage } from '../../hack/release/package-consumer.ts';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { prometheusInstall } from '../../scripts/lib/prometheus-versions.ts';
import { makeTempDir } from '../../scripts/lib/temp-dir.ts';

const prometheus3 = prometheusInstall(3);

(prometheus3 ? describe : describe.skip)(
  `integration: @redline/red-metrics installed from its tarball, scraped by Prometheus ${prometheus3?.version ?? '3'}`,
  function () {
    this.timeout(360_000);
    let tarball: string;
    let packed: { remove(): Promise<void> };

    before(async function () {
      const temp = await makeTempDir('red-metrics-pack-');
      packed = temp;
      tarball = (await packPackage(temp.dir)).tarball;
    });
    after(() => packed?.remove());

    it('claims the peer ranges these runs test', async function () {
      const manifest = JSON.parse(await readFile(join(repoRoot, 'packages/red-metrics/package.json'), 'utf8')) as {
        peerDependencies: Record<string, string>;
      };
      expect(manifest.peerDependencies.koa).to.equal(`^${OLDEST_PEERS.koa.replace(/\.\d+$/, '.0')} || ^3.0.0`);
      expect(manifest.peerDependencies['@koa/router']).to.equal(`>=${OLDEST_PEERS.router} <16`);
      expect(manifest.peerDependencies['prom-client']).to.equal(`^${OLDEST_PEERS.promClient}`);
    });

    for (const [which, peers] of [
      ['oldest', OLDEST_PEERS],
      ['newest', NEWEST_PEERS],
    ] as const) {
      it(`with the ${which} Koa claimed (koa ${peers.koa}, @koa/router ${peers.router}): required from CommonJS, native histograms in Prometheus`, async function () {
        const evidence = await consumerRun({
          packageSpec: tarball,
          peers,
          prometheus: { binary: prometheus3!.prometheus, version: prometheus3!.version },
        });
        expect(evidence.installed).to.include({
          '@redline/red-metrics': '0.1.0',
          koa: peers.koa,
          '@koa/router': peers.router,
          'prom-client': peers.promClient,
        });
        expect(evidence.resolved).to.match(/^file:.*redline-red-metrics-0\.1\.0\.tgz$/);
        expect(evidence.requiredExports).to.include.members(['RedMetrics', 'redMiddleware', 'metricsEndpoint', 'scrapeCache']);
        expect(evidence.typeCheck, 'strict tsc with skipLibCheck off, no koa types').to.equal('ok');
        expect(evidence.nativeCount).to.equal(evidence.requests);
        expect(evidence.classicCount).to.equal(evidence.requests);
        expect(evidence.bucketRatio).to.be.closeTo(2 ** (1 / 8), 1e-9);
        expect(existsSync(evidence.appDir), 'the scratch app is removed').to.equal(false);
        expect(evidence.appDir.startsWith(repoRoot)).to.equal(false);
      });
    }
  },
);
