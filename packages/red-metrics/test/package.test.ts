// The package as npm would publish it: `npm pack` (its prepack runs the tsc build), the files
// in the tarball, publint and arethetypeswrong on that tarball. The integration tier installs
// the same tarball into a scratch app (test/integration/package-consumer.test.ts).
import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { makeTempDir } from '../../../scripts/lib/temp-dir.ts';

const run = promisify(execFile);
const packageDir = new URL('..', import.meta.url).pathname;
const bin = (name: string) => join(packageDir, '../../node_modules/.bin', name);
const manifest = (await import('../package.json', { with: { type: 'json' } })).default as {
  name: string;
  exports: Record<string, string | { types: string; default: string }>;
  files: string[];
  repository: { url: string; directory: string };
};

interface Packed {
  filename: string;
  files: { path: string }[];
}

async function exitOf(command: string, args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(command, args, { maxBuffer: 32 * 1024 * 1024 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : 1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

describe('red-metrics: the packed tarball', function () {
  this.timeout(120_000);
  let temp: { dir: string; remove(): Promise<void> };
  let packed: Packed;
  let tarball: string;

  before(async function () {
    temp = await makeTempDir('red-metrics-pack-');
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', temp.dir], {
      cwd: packageDir,
      maxBuffer: 16 * 1024 * 1024,
    });
    packed = (JSON.parse(stdout) as Packed[])[0]!;
    tarball = join(temp.dir, packed.filename);
  });
  after(() => temp?.remove());

  it('holds the built ESM and declarations of every entry point, the proto file, README, CHANGELOG and licence, and no sources or tests', function () {
    const paths = packed.files.map((file) => file.path);
    for (const entry of Object.values(manifest.exports)) {
      if (typeof entry === 'string') continue;
      expect(paths, entry.default).to.include(entry.default.slice(2));
      expect(paths, entry.types).to.include(entry.types.slice(2));
    }
    expect(paths).to.include.members(['dist/proto/metrics.proto', 'README.md', 'CHANGELOG.md', 'LICENSE', 'package.json']);
    expect(paths.filter((path) => !/^(dist\/|README\.md$|CHANGELOG\.md$|LICENSE$|package\.json$)/.test(path))).to.deep.equal([]);
    expect(paths.filter((path) => /\.test\.|\/test\/|^src\//.test(path))).to.deep.equal([]);
  });

  it('names the repository and folder it is built from: npm checks them against the provenance statement', async function () {
    // The source repository the release workflow and the image labels name (hack/release/check.sh).
    const checkScript = await readFile(join(packageDir, '../../hack/release/check.sh'), 'utf8');
    const source = /RELEASE_SOURCE_URL:-([^}]+)\}/.exec(checkScript)?.[1];
    expect(source).to.match(/^https:\/\/github\.com\//);
    expect(manifest.repository).to.deep.equal({ type: 'git', url: `git+${source}.git`, directory: 'packages/red-metrics' });
  });

  it("pulls no dev-only package into the service's production install (the image's npm ci --omit=dev)", async function () {
    // An optional peer that is also a root devDependency (express once was) becomes
    // "devOptional" in the lock, and --omit=dev keeps it: the image grows by that package.
    const lock = JSON.parse(await readFile(join(packageDir, '../../package-lock.json'), 'utf8')) as {
      packages: Record<string, { devOptional?: boolean }>;
    };
    expect(Object.keys(lock.packages).length).to.be.greaterThan(100);
    expect(
      Object.entries(lock.packages)
        .filter(([, entry]) => entry.devOptional)
        .map(([path]) => path),
    ).to.deep.equal([]);
  });

  it('publint finds nothing, even as warnings', async function () {
    const { code, output } = await exitOf(bin('publint'), ['run', tarball, '--strict']);
    expect(code, output).to.equal(0);
    expect(output).to.include('All good!');
  });

  it('publint fails a package whose exports name a file it does not ship (the check can fail)', async function () {
    const broken = join(temp.dir, 'broken');
    await mkdir(broken, { recursive: true });
    await cp(join(packageDir, 'dist'), join(broken, 'dist'), { recursive: true });
    const exports = { ...manifest.exports, './missing': { types: './dist/missing.d.ts', default: './dist/missing.js' } };
    await writeFile(join(broken, 'package.json'), JSON.stringify({ ...manifest, scripts: {}, exports }));
    const { code, output } = await exitOf(bin('publint'), ['run', broken, '--strict', '--pack', 'false']);
    expect(code, output).to.not.equal(0);
    expect(output).to.match(/missing\.js/);
  });

  it('arethetypeswrong (ESM-only profile) resolves every entry point to its types, with no problem', async function () {
    const { code, output } = await exitOf(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'json']);
    expect(code, output).to.equal(0);
    const report = JSON.parse(output.slice(output.indexOf('{'))) as {
      analysis: { entrypoints: Record<string, unknown> };
      problems: Record<string, { resolutionKind?: string }[]>;
    };
    expect(Object.keys(report.analysis.entrypoints).sort()).to.deep.equal(Object.keys(manifest.exports).sort());
    // node10 and CommonJS-from-TypeScript resolution are out of an ESM-only package's scope (README: Compatibility).
    const inScope = Object.values(report.problems)
      .flat()
      .filter((problem) => problem.resolutionKind !== 'node10' && problem.resolutionKind !== 'node16-cjs');
    expect(inScope).to.deep.equal([]);
  });
});
