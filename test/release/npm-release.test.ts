// `make release-check-npm` for real (also the last step of make release-check): the metrics
// package published to a real npm registry on 127.0.0.1 (Verdaccio), installed back from it by a
// scratch app outside the repository, which Prometheus 3 scrapes with native histograms. Its
// output is the evidence; this asserts on it, then that the registry is gone with its files.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { prometheusInstall } from '../../scripts/lib/prometheus-versions.ts';

function npmCheck(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'hack/release/npm-check.ts')], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const take = (chunk: string) => {
      output += chunk;
      process.stderr.write(chunk.replace(/^(?=.)/gm, '      '));
    };
    child.stdout.setEncoding('utf8').on('data', take);
    child.stderr.setEncoding('utf8').on('data', take);
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

const line = (output: string, pattern: RegExp) => {
  const match = pattern.exec(output);
  expect(match, `${pattern} in the output`).to.not.equal(null);
  return match!;
};

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

(prometheusInstall(3) ? describe : describe.skip)(
  'release: @redline/red-metrics through a real npm registry (make release-check-npm)',
  function () {
    this.timeout(600_000);
    let check: { code: number | null; output: string };

    before(async function () {
      check = await npmCheck();
    });

    it('publishes the packed tarball, and the registry serves the same bytes', function () {
      expect(check.code, check.output.slice(-3000)).to.equal(0);
      const [, registry] = line(check.output, /^release-check: npm: verdaccio 6\.8\.0 on (http:\/\/127\.0\.0\.1:\d+) /m);
      expect(registry).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      line(
        check.output,
        /^release-check: npm: published @redline\/red-metrics@0\.1\.0 \(latest: 0\.1\.0\), integrity sha512-[A-Za-z0-9+/=]+$/m,
      );
    });

    it('a scratch app outside the repository installs it back from that registry, with the newest Koa claimed, and requires it from CommonJS', function () {
      const [, registry] = line(check.output, /^release-check: npm: verdaccio 6\.8\.0 on (http:\/\/127\.0\.0\.1:\d+) /m);
      const [, app] = line(check.output, /^release-check: npm: scratch app \((\S+)\) listening on /m);
      expect(app!.startsWith(repoRoot)).to.equal(false);
      const [, from, versions] = line(check.output, /^release-check: npm: installed back from (\S+): (.+)$/m);
      expect(from).to.equal(`${registry}/@redline/red-metrics/-/red-metrics-0.1.0.tgz`);
      expect(versions!.split(' ')).to.include.members([
        '@redline/red-metrics@0.1.0',
        'koa@3.3.0',
        '@koa/router@15.7.0',
        'prom-client@15.1.3',
      ]);
      const [, exports] = line(check.output, /^release-check: npm: require\('@redline\/red-metrics\/koa'\) from CommonJS: (\d+) exports$/m);
      expect(Number(exports)).to.be.greaterThan(10);
      line(
        check.output,
        /^release-check: npm: a strict TypeScript user of the core, node, express and fastify entries type-checks \(skipLibCheck off, no koa types\)$/m,
      );
    });

    it('Prometheus 3 scrapes it and stores every request in a schema-3 native histogram', function () {
      const [, native, requests, ratio, classic] = line(
        check.output,
        /^release-check: npm: Prometheus 3\.\S+ scraped the scratch app: native histogram_count (\d+) of (\d+) requests, bucket ratio ([\d.]+) \(schema 3\), classic _count (\d+)$/m,
      );
      expect(Number(native)).to.equal(Number(requests));
      expect(Number(classic)).to.equal(Number(requests));
      expect(Number(ratio)).to.be.closeTo(2 ** (1 / 8), 1e-6);
    });

    it('stops the registry and removes its files', async function () {
      const [, port] = line(check.output, /^release-check: npm: verdaccio 6\.8\.0 on http:\/\/127\.0\.0\.1:(\d+) /m);
      const [, work] = line(check.output, /^release-check: npm: cleaned up: verdaccio \(pid \d+\) stopped, (\S+) removed$/m);
      expect(await listening(Number(port))).to.equal(false);
      expect(existsSync(work!)).to.equal(false);
      const [, app] = line(check.output, /^release-check: npm: scratch app \((\S+)\) listening on /m);
      expect(existsSync(app!)).to.equal(false);
      line(check.output, /^release-check: npm: OK$/m);
    });
  },
);
