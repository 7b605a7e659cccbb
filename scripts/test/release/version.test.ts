// scripts/release/version.ts on a copy of the real package.json, lock and Chart.yaml: one
// version moves them all, a disagreement or a tag that differs is refused, and the chart copy
// about to be published defaults to the published image at its appVersion (real helm template).
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { repoRoot } from '../../lib/paths.ts';
import { checkVersions, parseTag, readVersions, setVersion, stampChart } from '../../release/version.ts';

const run = promisify(execFile);
const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => '(resolved)',
    (e: Error) => e.message,
  );

describe('release version (scripts/release/version.ts)', function () {
  let root: string;

  beforeEach(async function () {
    root = await mkdtemp(join(tmpdir(), 'redline-version-'));
    await mkdir(join(root, 'charts'), { recursive: true });
    await mkdir(join(root, 'packages/red-metrics'), { recursive: true });
    for (const file of ['package.json', 'package-lock.json', 'packages/red-metrics/package.json'])
      await cp(join(repoRoot, file), join(root, file));
    await cp(join(repoRoot, 'charts/redline'), join(root, 'charts/redline'), { recursive: true });
  });

  afterEach(async function () {
    await rm(root, { recursive: true, force: true });
  });

  it('the committed files agree on one version', async function () {
    const version = await checkVersions(repoRoot);
    expect(new Set(Object.values(await readVersions(repoRoot)))).to.deep.equal(new Set([version]));
  });

  it('parses release tags and refuses anything else', function () {
    expect(parseTag('v1.2.3')).to.equal('1.2.3');
    expect(parseTag('refs/tags/v0.10.0-rc.1')).to.equal('0.10.0-rc.1');
    for (const bad of ['v1.2', 'v01.2.3', '1.2.3+build', 'latest', 'v1.2.3 ']) {
      expect(() => parseTag(bad), bad).to.throw(/not a release tag/);
    }
  });

  it('set moves package.json, the lock, Chart.yaml and the metrics package together, keeping comments and formatting', async function () {
    const chartBefore = await readFile(join(root, 'charts/redline/Chart.yaml'), 'utf8');
    expect(await setVersion('v1.10.0', root)).to.equal('1.10.0');
    expect(await readVersions(root)).to.deep.equal({
      'package.json': '1.10.0',
      'package-lock.json': '1.10.0',
      'Chart.yaml version': '1.10.0',
      'Chart.yaml appVersion': '1.10.0',
      'packages/red-metrics/package.json': '1.10.0',
    });
    expect(await checkVersions(root, 'v1.10.0')).to.equal('1.10.0');
    const chart = await readFile(join(root, 'charts/redline/Chart.yaml'), 'utf8');
    // A string, or YAML would read 1.10 as the number 1.1.
    expect(chart).to.match(/^appVersion: "1\.10\.0"$/m);
    expect(chart.split('\n').filter((l) => l.startsWith('#') || l.includes('# '))).to.deep.equal(
      chartBefore.split('\n').filter((l) => l.startsWith('#') || l.includes('# ')),
    );
    const lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version: string; dependencies?: Record<string, string> }>;
    };
    expect(lock.packages['']!.version).to.equal('1.10.0');
    expect(lock.packages['']!.dependencies!['@redline/red-metrics']).to.equal('1.10.0');
    expect(lock.packages['packages/red-metrics']!.version).to.equal('1.10.0');
    const pkg = await readFile(join(root, 'package.json'), 'utf8');
    expect(pkg).to.equal(
      (await readFile(join(repoRoot, 'package.json'), 'utf8'))
        .replace(/"version": "[^"]+"/, '"version": "1.10.0"')
        .replace(/"@redline\/red-metrics": "[^"]+"/, '"@redline/red-metrics": "1.10.0"'),
    );
    const metricsPackage = await readFile(join(root, 'packages/red-metrics/package.json'), 'utf8');
    expect(metricsPackage).to.equal(
      (await readFile(join(repoRoot, 'packages/red-metrics/package.json'), 'utf8')).replace(/"version": "[^"]+"/, '"version": "1.10.0"'),
    );
  });

  it('check names each file when they disagree, and refuses a tag that differs', async function () {
    await setVersion('v2.0.0', root);
    expect(await rejection(checkVersions(root, 'v2.0.1'))).to.match(/tag v2\.0\.1 does not match/);
    const chart = join(root, 'charts/redline/Chart.yaml');
    await writeFile(chart, (await readFile(chart, 'utf8')).replace(/^version: .*$/m, 'version: 2.0.1'));
    expect(await rejection(checkVersions(root)))
      .to.match(/versions disagree/)
      .and.match(/Chart\.yaml version: 2\.0\.1/)
      .and.match(/package\.json: 2\.0\.0/);
  });

  it('the CLI exits non-zero with the reason', async function () {
    const cli = join(repoRoot, 'scripts/release/version.ts');
    const failed = await run(process.execPath, [cli, 'check', 'v99.0.0']).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed?.code).to.equal(1);
    expect(failed?.stderr).to.match(/tag v99\.0\.0 does not match/);
  });

  it('a stamped chart renders the published image at its appVersion; kind values still give redline:dev', async function () {
    await setVersion('v3.1.4', root);
    const chart = join(root, 'charts/redline');
    await stampChart(chart, '127.0.0.1:5000/redline/redline');
    const images = async (...args: string[]) => {
      const { stdout } = await run('helm', ['template', 'redline', chart, ...args], { maxBuffer: 16 * 1024 * 1024 });
      return [...new Set([...stdout.matchAll(/^\s*(?:- )?image: "?([^"\s]+)"?$/gm)].map((m) => m[1]))];
    };
    expect(await images()).to.deep.equal(['127.0.0.1:5000/redline/redline:3.1.4']);
    expect(await images('-f', join(repoRoot, 'k8s/redline-values.yaml'))).to.deep.equal(['redline:dev']);
    const values = parse(await readFile(join(chart, 'values.yaml'), 'utf8')) as { image: Record<string, string> };
    expect(values.image).to.include({ repository: '127.0.0.1:5000/redline/redline', tag: '', digest: '' });
    expect(await rejection(stampChart(chart, 'Not A Repo'))).to.match(/not an image repository/);
  });
});
