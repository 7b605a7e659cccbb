// The release signs everything twice so cosign 2.4+ and cosign 3 both verify (docs/releasing.md).
// Run here with the real cosign 3 (make release-tools puts it in .tools/bin) and a real registry
// (Debian's docker-registry) on loopback, with a throwaway key instead of keyless: cosign 3's
// default bundle is an OCI referrer with no sha256-<digest>.sig tag, which is all cosign 2
// looks for (cosign's SIGNATURE_SPEC); the workflow's legacy flags write that tag.
import { expect } from 'chai';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { freePort } from '../../scripts/lib/ports.ts';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { withTempDir } from '../../scripts/lib/temp-dir.ts';
import { waitFor } from '../../scripts/lib/wait.ts';

const run = promisify(execFile);
const installed = (command: string, args: string[]) => spawnSync(command, args, { stdio: 'ignore' }).status === 0;

/** The legacy flags the release workflow signs with a second time. */
async function workflowLegacyFlags(): Promise<string[]> {
  const workflow = parse(await readFile(join(repoRoot, '.github/workflows/release.yaml'), 'utf8')) as {
    jobs: Record<string, { steps: { run?: string }[] }>;
  };
  const runs = Object.values(workflow.jobs).flatMap((job) => job.steps.map((step) => step.run ?? ''));
  const match = runs.map((text) => /^\s*legacy=\(([^)]*)\)/m.exec(text)).find(Boolean);
  expect(match, 'legacy=(…) in release.yaml').to.not.equal(undefined);
  return match![1]!.trim().split(/\s+/);
}

describe('cosign signature formats of the release (real cosign 3 and registry)', function () {
  this.timeout(120_000);
  let registry: ChildProcess | undefined;
  let host: string;

  before(async function () {
    if (!installed('cosign', ['version']) || !installed('docker-registry', ['--version'])) {
      // make release-tools installs both (cosign from Debian sid, docker-registry from the system's suite).
      this.skip();
    }
  });
  after(() => registry?.kill('SIGTERM'));

  it("the bundle alone leaves no .sig tag for cosign 2; the workflow's legacy flags add .sig and .att; cosign 3 verifies", async function () {
    const legacy = await workflowLegacyFlags();
    expect(legacy).to.deep.equal(['--new-bundle-format=false', '--use-signing-config=false']);
    await withTempDir('redline-cosign-', async (dir) => {
      const port = await freePort();
      host = `127.0.0.1:${port}`;
      await writeFile(
        join(dir, 'registry.yml'),
        `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: ${host}\n`,
      );
      registry = spawn('docker-registry', ['serve', join(dir, 'registry.yml')], { stdio: 'ignore' });
      await waitFor('the registry', async () => ((await fetch(`http://${host}/v2/`).catch(() => undefined))?.ok ? true : undefined));

      const env = { ...process.env, COSIGN_PASSWORD: '', HOME: dir, DOCKER_CONFIG: dir };
      const insecure = ['--allow-http-registry', '--allow-insecure-registry'];
      const cosign = (args: string[]) => run('cosign', args, { cwd: dir, env, timeout: 60_000 });
      await cosign(['generate-key-pair', '--output-key-prefix', 'release']);
      await writeFile(join(dir, 'artifact.txt'), 'redline\n');
      const uploaded = await cosign(['upload', 'blob', '-f', 'artifact.txt', ...insecure, `${host}/redline/thing:v1`]);
      const digest = /@(sha256:[0-9a-f]{64})/.exec(uploaded.stdout + uploaded.stderr)![1]!;
      const ref = `${host}/redline/thing@${digest}`;
      const tags = async () =>
        ((await (await fetch(`http://${host}/v2/redline/thing/tags/list`)).json()) as { tags: string[] }).tags.sort();
      const tagOf = (suffix: string) => `sha256-${digest.slice('sha256:'.length)}${suffix}`;
      // A key and no transparency log, as nothing Sigstore is reachable here; the workflow is keyless.
      const keyed = ['--yes', '--key', 'release.key', '--tlog-upload=false', ...insecure];

      // cosign 3's default format (a bundle, referrer or its tag fallback): nothing cosign 2 finds.
      await cosign(['sign', ...keyed, '--use-signing-config=false', ref]);
      expect(await tags()).to.not.include(tagOf('.sig'));

      // The workflow's second signature, then both attestations (cosign 3 reads the bundle one:
      // where bundles exist it does not fall back to the .att tag).
      await cosign(['sign', ...keyed, ...legacy, ref]);
      await writeFile(join(dir, 'sbom.cdx.json'), JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5', components: [] }));
      const attest = ['attest', ...keyed, '--type', 'cyclonedx', '--predicate', 'sbom.cdx.json'];
      await cosign([...attest, '--use-signing-config=false', ref]);
      expect(await tags()).to.not.include(tagOf('.att'));
      await cosign([...attest, ...legacy, ref]);
      expect(await tags()).to.include.members([tagOf('.sig'), tagOf('.att')]);

      const verified = await cosign(['verify', '--key', 'release.pub', '--insecure-ignore-tlog=true', ...insecure, ref]);
      expect(verified.stderr).to.match(/The signatures were verified against the specified public key/);
      const attested = await cosign([
        'verify-attestation',
        '--type',
        'cyclonedx',
        '--key',
        'release.pub',
        '--insecure-ignore-tlog=true',
        ...insecure,
        ref,
      ]);
      expect(attested.stderr).to.match(/The signatures were verified against the specified public key/);
    });
  });
});
