// Release notes for version X.Y.Z: its section of CHANGELOG.md (Keep a Changelog), then, when the
// published references are given, the image digest, the chart reference and how to verify both.
//   node scripts/release/notes.ts 1.2.0
//   node scripts/release/notes.ts v1.2.0 --image ghcr.io/o/redline --image-digest sha256:… \
//        --chart oci://ghcr.io/o/charts/redline --chart-digest sha256:… \
//        --identity 'https://github.com/o/redline/.github/workflows/release.yaml@refs/tags/v1.2.0'
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { repoRoot } from '../lib/paths.ts';
import { parseTag } from './version.ts';

/** The body of `## [version]` (up to the next `## ` heading or the link definitions), trimmed. */
export function changelogSection(changelog: string, version: string): string {
  const lines = changelog.split('\n');
  const heading = new RegExp(`^## \\[${version.replace(/[.+-]/g, '\\$&')}\\](\\s|$)`);
  const start = lines.findIndex((line) => heading.test(line));
  if (start < 0) throw new Error(`CHANGELOG.md has no "## [${version}]" section: add it before tagging v${version}`);
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((line) => /^## /.test(line) || /^\[[^\]]+\]:\s/.test(line));
  const body = (end < 0 ? rest : rest.slice(0, end)).join('\n').trim();
  if (!body) throw new Error(`CHANGELOG.md's "## [${version}]" section is empty`);
  return body;
}

export interface Published {
  image: string;
  imageDigest: string;
  chart: string;
  chartDigest: string;
  /** The keyless signer: the release workflow's identity (certificate SAN). */
  identity: string;
  issuer?: string;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

export function publishedSection(version: string, p: Published): string {
  for (const [name, digest] of [
    ['image', p.imageDigest],
    ['chart', p.chartDigest],
  ] as const) {
    if (!DIGEST.test(digest)) throw new Error(`--${name}-digest "${digest}" is not a sha256 digest`);
  }
  if (!p.chart.startsWith('oci://')) throw new Error(`--chart "${p.chart}" is not an oci:// reference`);
  const issuer = p.issuer ?? 'https://token.actions.githubusercontent.com';
  const chartRepository = p.chart.replace(/^oci:\/\//, '');
  const keyless = `--certificate-identity '${p.identity}' \\\n  --certificate-oidc-issuer ${issuer}`;
  return [
    '## Artifacts',
    '',
    '| | reference | digest |',
    '| --- | --- | --- |',
    `| image (linux/amd64, linux/arm64) | \`${p.image}:${version}\` | \`${p.imageDigest}\` |`,
    `| Helm chart | \`${p.chart} --version ${version}\` | \`${p.chartDigest}\` |`,
    '',
    '```sh',
    `helm install redline ${p.chart} --version ${version} --namespace redline --create-namespace`,
    '```',
    '',
    '## Verify',
    '',
    "Both are signed keyless by this repository's release workflow (Sigstore, GitHub OIDC); the",
    'image carries a CycloneDX SBOM of its Node dependencies as a signed attestation. Each is signed',
    'in both Sigstore bundle and cosign 2 formats: cosign 2.4 or later verifies them.',
    '',
    '```sh',
    `cosign verify ${p.image}@${p.imageDigest} \\\n  ${keyless}`,
    `cosign verify ${chartRepository}@${p.chartDigest} \\\n  ${keyless}`,
    `cosign verify-attestation --type cyclonedx ${p.image}@${p.imageDigest} \\\n  ${keyless}`,
    '```',
  ].join('\n');
}

export async function releaseNotes(tag: string, published?: Published, root = repoRoot): Promise<string> {
  const version = parseTag(tag);
  const changelog = await readFile(join(root, 'CHANGELOG.md'), 'utf8');
  const notes = changelogSection(changelog, version);
  return published ? `${notes}\n\n${publishedSection(version, published)}\n` : `${notes}\n`;
}

const USAGE = `usage: node scripts/release/notes.ts X.Y.Z [--image REF --image-digest SHA --chart oci://… --chart-digest SHA --identity ID [--issuer URL]]

Prints the release notes of X.Y.Z: its CHANGELOG.md section, and with the published artifacts
given, how to pull and verify them (cosign). --help: this text.`;

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return;
  }
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      image: { type: 'string' },
      'image-digest': { type: 'string' },
      chart: { type: 'string' },
      'chart-digest': { type: 'string' },
      identity: { type: 'string' },
      issuer: { type: 'string' },
    },
  });
  const [tag] = positionals;
  if (!tag) throw new Error(`the version is missing\n${USAGE}`);
  const given = [values.image, values['image-digest'], values.chart, values['chart-digest'], values.identity];
  let published: Published | undefined;
  if (given.some((v) => v !== undefined)) {
    if (given.some((v) => !v)) throw new Error('--image, --image-digest, --chart, --chart-digest and --identity go together');
    published = {
      image: values.image!,
      imageDigest: values['image-digest']!,
      chart: values.chart!,
      chartDigest: values['chart-digest']!,
      identity: values.identity!,
      ...(values.issuer ? { issuer: values.issuer } : {}),
    };
  }
  process.stdout.write(await releaseNotes(tag, published));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error: Error & { code?: string }) => {
    console.error(`notes: ${error.message}${error.code?.startsWith('ERR_PARSE_ARGS') ? `\n${USAGE}` : ''}`);
    process.exit(1);
  });
}
