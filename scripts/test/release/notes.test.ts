// scripts/release/notes.ts: the release notes are the version's CHANGELOG.md section, and the
// published part carries the digests, the chart reference and verify commands for that signer.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { changelogSection, releaseNotes } from '../../release/notes.ts';
import { repoRoot } from '../../lib/paths.ts';
import { checkVersions } from '../../release/version.ts';

const run = promisify(execFile);

const changelog = `# Changelog

## [Unreleased]

### Added
- not yet released

## [1.2.0] - 2026-12-01

### Fixed
- the 1.2.0 fix

## [1.1.0] - 2026-11-01

### Added
- the 1.1.0 feature

[Unreleased]: https://example.com/compare/v1.2.0...HEAD
[1.2.0]: https://example.com/v1.2.0
[1.1.0]: https://example.com/v1.1.0
`;

const published = {
  image: 'ghcr.io/acme/redline',
  imageDigest: `sha256:${'a'.repeat(64)}`,
  chart: 'oci://ghcr.io/acme/charts/redline',
  chartDigest: `sha256:${'b'.repeat(64)}`,
  identity: 'https://github.com/acme/redline/.github/workflows/release.yaml@refs/tags/v1.2.0',
};

describe('release notes (scripts/release/notes.ts)', function () {
  it("takes exactly the version's section, not its neighbours or the link definitions", function () {
    expect(changelogSection(changelog, '1.2.0')).to.equal('### Fixed\n- the 1.2.0 fix');
    expect(changelogSection(changelog, '1.1.0')).to.equal('### Added\n- the 1.1.0 feature');
  });

  it('refuses a version without a section, or with an empty one', function () {
    expect(() => changelogSection(changelog, '1.3.0')).to.throw(/no "## \[1\.3\.0\]" section/);
    expect(() => changelogSection('## [2.0.0] - 2027-01-01\n\n## [1.0.0]\n- x\n', '2.0.0')).to.throw(/is empty/);
    // The dots are literal: 1.2.0 is not 1x2y0.
    expect(() => changelogSection('## [1x2y0]\n- x\n', '1.2.0')).to.throw(/no "## \[1\.2\.0\]"/);
  });

  it('the committed CHANGELOG.md has a section for the current version', async function () {
    const notes = await releaseNotes(await checkVersions(repoRoot));
    expect(notes.trim().length).to.be.greaterThan(20);
    expect(notes).to.not.match(/^## \[/m);
  });

  it('the CLI appends the artifacts and the keyless verify commands', async function () {
    const dir = await mkdtemp(join(tmpdir(), 'redline-notes-'));
    try {
      await writeFile(join(dir, 'CHANGELOG.md'), changelog);
      const notes = await releaseNotes('v1.2.0', published, dir);
      expect(notes).to.match(/^### Fixed\n- the 1\.2\.0 fix\n\n## Artifacts/);
      expect(notes).to.include(`\`ghcr.io/acme/redline:1.2.0\` | \`${published.imageDigest}\``);
      expect(notes).to.include('helm install redline oci://ghcr.io/acme/charts/redline --version 1.2.0');
      expect(notes).to.include(`cosign verify ghcr.io/acme/redline@${published.imageDigest}`);
      expect(notes).to.include(`cosign verify ghcr.io/acme/charts/redline@${published.chartDigest}`);
      expect(notes).to.include(`cosign verify-attestation --type cyclonedx ghcr.io/acme/redline@${published.imageDigest}`);
      expect(notes.match(/--certificate-identity '([^']+)'/g)).to.have.length(3);
      expect(notes).to.include('--certificate-oidc-issuer https://token.actions.githubusercontent.com');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the CLI refuses a digest that is not one, and half the published references', async function () {
    const cli = join(repoRoot, 'scripts/release/notes.ts');
    const version = await checkVersions(repoRoot);
    const args = [
      '--image',
      published.image,
      '--image-digest',
      'sha256:abc',
      '--chart',
      published.chart,
      '--chart-digest',
      published.chartDigest,
      '--identity',
      published.identity,
    ];
    const fail = (argv: string[]) =>
      run(process.execPath, [cli, version, ...argv]).then(
        () => '(exit 0)',
        (e: { stderr: string }) => e.stderr,
      );
    expect(await fail(args)).to.match(/--image-digest "sha256:abc" is not a sha256 digest/);
    expect(await fail(['--image', published.image])).to.match(/go together/);
    const { stdout } = await run(process.execPath, [cli, `v${version}`]);
    expect(stdout).to.equal(await releaseNotes(version));
  });
});
