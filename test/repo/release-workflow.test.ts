// .github/workflows/release.yaml (test/repo/workflows.test.ts validates its schema and pins):
// it runs on v* tags only, refuses a tag the files disagree with before pushing anything, signs
// and attests by digest with the OIDC token, and releases with notes built from CHANGELOG.md.
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../../scripts/lib/paths.ts';

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  permissions?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: { push?: { tags?: string[]; branches?: string[] } };
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
}

describe('release workflow (.github/workflows/release.yaml)', function () {
  let doc: Workflow;
  let job: Job;
  const index = (test: (s: Step) => boolean) => job.steps.findIndex(test);
  const runs = (re: RegExp) => index((s) => re.test(s.run ?? ''));
  const uses = (action: string) => index((s) => s.uses?.startsWith(`${action}@`) ?? false);

  before(async function () {
    doc = parse(await readFile(join(repoRoot, '.github/workflows/release.yaml'), 'utf8')) as Workflow;
    job = Object.values(doc.jobs)[0]!;
  });

  it('runs on v* tags only, with write access only where publishing needs it', function () {
    expect(doc.on).to.deep.equal({ push: { tags: ['v*'] } });
    expect(doc.permissions).to.deep.equal({ contents: 'read' });
    expect(job.permissions).to.deep.equal({ contents: 'write', packages: 'write', 'id-token': 'write' });
  });

  it('checks the tag against package.json/Chart.yaml and the CHANGELOG before pushing anything', function () {
    const check = runs(/scripts\/release\/version\.ts check "\$GITHUB_REF_NAME"/);
    const notes = runs(/scripts\/release\/notes\.ts "\$version"/);
    expect(check).to.be.greaterThan(-1);
    expect(notes).to.equal(check);
    expect(check).to.be.lessThan(uses('docker/build-push-action'));
    expect(check).to.be.lessThan(runs(/helm push/));
  });

  it('builds both platforms with buildx (QEMU for arm64) and pushes to GHCR', function () {
    const build = job.steps[uses('docker/build-push-action')]!;
    expect(build.with).to.include({ platforms: 'linux/amd64,linux/arm64', push: true });
    expect(uses('docker/setup-qemu-action')).to.be.within(0, uses('docker/build-push-action'));
    expect(uses('docker/setup-buildx-action')).to.be.within(0, uses('docker/build-push-action'));
    expect(job.steps[uses('docker/login-action')]!.with).to.include({ registry: 'ghcr.io' });
    expect(job.steps[uses('docker/metadata-action')]!.with?.labels).to.match(/org\.opencontainers\.image\.licenses=Apache-2\.0/);
  });

  it('signs the image (every platform) and the chart by digest, and attests the CycloneDX SBOM', function () {
    const sign = job.steps[runs(/cosign sign --yes --recursive/)]!;
    expect(sign.env?.IMAGE).to.equal('${{ steps.version.outputs.image }}@${{ steps.build.outputs.digest }}');
    expect(sign.run)
      .to.match(/npm sbom --omit=dev .*--sbom-format=cyclonedx/)
      .and.match(/cosign attest --yes --type cyclonedx --predicate sbom\.cdx\.json "\$IMAGE"/);
    const chart = job.steps[runs(/helm push/)]!.run!;
    expect(chart).to.match(/version\.ts stamp-chart dist\/src\/redline "\$IMAGE_REPO"/);
    expect(chart.indexOf('stamp-chart')).to.be.lessThan(chart.indexOf('helm package'));
    expect(chart).to.match(/cosign sign --yes "\$\{CHART_REPO#oci:\/\/\}\/redline@\$digest"/);
    // Each also in cosign 2's tag format (sha256-<digest>.sig/.att), which cosign 2.x reads.
    const legacy = /--new-bundle-format=false --use-signing-config=false/;
    expect(chart).to.match(new RegExp(`cosign sign --yes ${legacy.source} "\\$\\{CHART_REPO#oci:\\/\\/\\}\\/redline@\\$digest"`));
    expect(sign.run).to.match(/legacy=\(--new-bundle-format=false --use-signing-config=false\)/);
    expect(sign.run).to.match(/cosign sign --yes --recursive "\$\{legacy\[@\]\}" "\$IMAGE"/);
    expect(sign.run).to.match(/cosign attest --yes "\$\{legacy\[@\]\}" --type cyclonedx --predicate sbom\.cdx\.json "\$IMAGE"/);
    // Keyless: no key anywhere, the identity is this workflow at this ref.
    expect(JSON.stringify(job)).to.not.match(/--key\b|COSIGN_PRIVATE_KEY/);
  });

  it('verifies with cosign 3 and with cosign 2.4, the oldest the docs promise, each by its own path', function () {
    const installs = job.steps.filter((step) => step.uses?.startsWith('sigstore/cosign-installer@'));
    expect(installs.map((step) => step.with)).to.deep.equal([
      { 'install-dir': '${{ runner.temp }}/cosign' },
      { 'cosign-release': 'v2.4.1', 'install-dir': '${{ runner.temp }}/cosign-2.4' },
    ]);
    const body = job.steps[runs(/verify-attestation --type cyclonedx/)]!.run!;
    expect(body).to.include('for cosign in "$RUNNER_TEMP/cosign/cosign" "$RUNNER_TEMP/cosign-2.4/cosign"; do');
    expect(body).to.match(/"\$cosign" verify "\$\{keyless\[@\]\}" "\$IMAGE_REPO@\$IMAGE_DIGEST"/);
    expect(body).to.match(/"\$cosign" verify-attestation --type cyclonedx/);
    // cosign 2.4 is installed after every signature, so signing always used the newer one.
    expect(job.steps.indexOf(installs[1]!)).to.be.greaterThan(runs(/helm push/));
  });

  it('verifies as a user before releasing, against the workflow identity', function () {
    const verify = runs(/verify-attestation --type cyclonedx/);
    expect(verify).to.be.greaterThan(runs(/helm push/));
    expect(verify).to.be.lessThan(runs(/gh release create/));
    const body = job.steps[verify]!.run!;
    expect(body)
      .to.match(/--certificate-identity "\$SIGNER"/)
      .and.match(/helm template redline "\$CHART_REPO\/redline"/);
    expect((doc.jobs.release as unknown as { env: Record<string, string> }).env.SIGNER).to.equal(
      '${{ github.server_url }}/${{ github.workflow_ref }}',
    );
  });

  it('writes the GitHub release from notes.ts with the digests and the chart reference', function () {
    const release = job.steps[runs(/gh release create/)]!;
    expect(release.run)
      .to.match(/scripts\/release\/notes\.ts "\$VERSION" --image "\$IMAGE_REPO" --image-digest "\$IMAGE_DIGEST"/)
      .and.match(/--chart "\$CHART_REPO\/redline" --chart-digest "\$CHART_DIGEST"/)
      .and.match(/--notes-file dist\/notes\.md/);
    expect(release.env).to.include({
      IMAGE_DIGEST: '${{ steps.build.outputs.digest }}',
      CHART_DIGEST: '${{ steps.chart.outputs.digest }}',
    });
  });
});

describe('release workflow: the metrics package to npm with provenance', function () {
  let doc: Workflow;
  let job: Job;
  const runs = (re: RegExp) => job.steps.findIndex((s) => re.test(s.run ?? ''));

  before(async function () {
    doc = parse(await readFile(join(repoRoot, '.github/workflows/release.yaml'), 'utf8')) as Workflow;
    job = doc.jobs.npm!;
    expect(job, 'a job named npm').to.not.equal(undefined);
  });

  it('the image build has the package it copies: built right after npm ci, before docker builds', function () {
    const release = doc.jobs.release!;
    const build = release.steps.findIndex((s) => /node packages\/red-metrics\/build\.ts/.test(s.run ?? ''));
    const ci = release.steps.findIndex((s) => /npm ci/.test(s.run ?? ''));
    expect(build).to.be.within(ci, release.steps.findIndex((s) => s.uses?.startsWith('docker/build-push-action@') ?? false) - 1);
  });

  it('publishes only after the release job, with read access and the OIDC token only', function () {
    expect(job.needs).to.equal('release');
    expect(job.permissions).to.deep.equal({ contents: 'read', 'id-token': 'write' });
  });

  it('checks the tag against every version (the package included) before publishing', function () {
    const check = runs(/scripts\/release\/version\.ts check "\$GITHUB_REF_NAME"/);
    expect(check).to.be.greaterThan(-1);
    expect(check).to.be.lessThan(runs(/npm publish/));
  });

  it('packs and checks the tarball with publint and arethetypeswrong, then publishes that tarball', function () {
    const pack = job.steps[runs(/npm pack --workspace packages\/red-metrics/)]!;
    expect(pack.run)
      .to.match(/publint run "dist\/\$tarball" --strict/)
      .and.match(/attw "dist\/\$tarball" --profile esm-only/);
    expect(runs(/npm pack/)).to.be.lessThan(runs(/npm publish/));
    const publish = job.steps[runs(/npm publish/)]!;
    expect(publish.run).to.equal('npm publish "$TARBALL" --provenance --access public --tag "$DIST_TAG"');
    expect(publish.env?.TARBALL).to.equal('${{ steps.pack.outputs.tarball }}');
  });

  it('uses trusted publishing: no npm token anywhere in the workflow', function () {
    expect(JSON.stringify(doc)).to.not.match(/NPM_TOKEN|NODE_AUTH_TOKEN|_authToken/);
  });
});
