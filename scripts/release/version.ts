// One version for the release: package.json (and its lock), Chart.yaml version and appVersion,
// and the metrics package published to npm with the same tag (packages/red-metrics).
// A git tag vX.Y.Z is the source; this sets the files from it, or checks they agree with it.
//   node scripts/release/version.ts                   print the version (fails when files disagree)
//   node scripts/release/version.ts check [vX.Y.Z]    the same, and it must equal the tag
//   node scripts/release/version.ts set vX.Y.Z        write it into every file
//   node scripts/release/version.ts stamp-chart DIR REPOSITORY
//        in a copy of the chart at DIR: image.repository = REPOSITORY (the tag defaults to appVersion)
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { repoRoot } from '../lib/paths.ts';

// Semantic Versioning 2.0.0, without build metadata (OCI tags cannot carry '+').
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

/** "v1.2.3" or "1.2.3" → "1.2.3"; throws on anything that is not a release version. */
export function parseTag(tag: string): string {
  const version = tag.replace(/^refs\/tags\//, '').replace(/^v/, '');
  if (!SEMVER.test(version)) throw new Error(`"${tag}" is not a release tag vMAJOR.MINOR.PATCH[-PRERELEASE]`);
  return version;
}

export interface Versions {
  'package.json': string;
  'package-lock.json': string;
  'Chart.yaml version': string;
  'Chart.yaml appVersion': string;
  'packages/red-metrics/package.json': string;
}

/** The npm package released with the same tag, and the workspace dependency the service has on it. */
const METRICS_PACKAGE = '@redline/red-metrics';

const files = (root: string) => ({
  pkg: join(root, 'package.json'),
  lock: join(root, 'package-lock.json'),
  chart: join(root, 'charts/redline/Chart.yaml'),
  metricsPackage: join(root, 'packages/red-metrics/package.json'),
});

export async function readVersions(root = repoRoot): Promise<Versions> {
  const f = files(root);
  const pkg = JSON.parse(await readFile(f.pkg, 'utf8')) as { version: string };
  const lock = JSON.parse(await readFile(f.lock, 'utf8')) as { version: string };
  const chart = parseDocument(await readFile(f.chart, 'utf8')).toJS() as { version: unknown; appVersion: unknown };
  const metricsPackage = JSON.parse(await readFile(f.metricsPackage, 'utf8')) as { version: string };
  return {
    'package.json': pkg.version,
    'package-lock.json': lock.version,
    'Chart.yaml version': String(chart.version),
    'Chart.yaml appVersion': String(chart.appVersion),
    'packages/red-metrics/package.json': metricsPackage.version,
  };
}

/** The one version every file carries; throws listing the files when they disagree or differ from `tag`. */
export async function checkVersions(root = repoRoot, tag?: string): Promise<string> {
  const versions = await readVersions(root);
  const distinct = new Set(Object.values(versions));
  const listing = Object.entries(versions)
    .map(([where, v]) => `  ${where}: ${v}`)
    .join('\n');
  if (distinct.size !== 1) throw new Error(`versions disagree (node scripts/release/version.ts set vX.Y.Z):\n${listing}`);
  const version = [...distinct][0]!;
  parseTag(version);
  if (tag !== undefined && parseTag(tag) !== version) {
    throw new Error(`tag ${tag} does not match the files (node scripts/release/version.ts set ${tag}):\n${listing}`);
  }
  return version;
}

/** Writes `tag`'s version into package.json, package-lock.json, Chart.yaml and the metrics package, keeping their formatting and comments. */
export async function setVersion(tag: string, root = repoRoot): Promise<string> {
  const version = parseTag(tag);
  const f = files(root);
  const replaceTopVersion = (text: string) => text.replace(/^(\s{2}"version":\s*)"[^"]*"/m, `$1"${version}"`);
  // The service depends on the metrics package at exactly the version it is released with.
  const pinMetricsPackage = (text: string) => text.replace(new RegExp(`("${METRICS_PACKAGE}":\\s*)"[^"]*"`), `$1"${version}"`);
  await writeFile(f.pkg, pinMetricsPackage(replaceTopVersion(await readFile(f.pkg, 'utf8'))));
  await writeFile(f.metricsPackage, replaceTopVersion(await readFile(f.metricsPackage, 'utf8')));
  // The lock repeats the root package's version at the top and under packages[""], and the
  // workspace's under packages["packages/red-metrics"].
  const lock = JSON.parse(await readFile(f.lock, 'utf8')) as {
    version: string;
    packages: Record<string, { version?: string; dependencies?: Record<string, string> }>;
  };
  lock.version = version;
  if (lock.packages['']) lock.packages[''].version = version;
  if (lock.packages['']?.dependencies?.[METRICS_PACKAGE]) lock.packages[''].dependencies[METRICS_PACKAGE] = version;
  if (lock.packages['packages/red-metrics']) lock.packages['packages/red-metrics'].version = version;
  await writeFile(f.lock, `${JSON.stringify(lock, null, 2)}\n`);
  const chart = parseDocument(await readFile(f.chart, 'utf8'));
  chart.set('version', version);
  chart.set('appVersion', version);
  // appVersion stays a string: YAML would read 1.10 as a number.
  const app = chart.get('appVersion', true) as { type?: string } | undefined;
  if (app) app.type = 'QUOTE_DOUBLE';
  await writeFile(f.chart, chart.toString({ lineWidth: 0 }));
  return version;
}

/** In a chart directory (a copy about to be packaged), point image.repository at the published image. */
export async function stampChart(chartDir: string, repository: string): Promise<void> {
  if (!/^[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+$/.test(repository)) {
    throw new Error(`"${repository}" is not an image repository (host[:port]/path, lower case)`);
  }
  const path = join(chartDir, 'values.yaml');
  const values = parseDocument(await readFile(path, 'utf8'));
  values.setIn(['image', 'repository'], repository);
  values.setIn(['image', 'tag'], '');
  values.setIn(['image', 'digest'], '');
  await writeFile(path, values.toString({ lineWidth: 0 }));
}

const USAGE = `usage: node scripts/release/version.ts [print | check [vX.Y.Z] | set vX.Y.Z | stamp-chart DIR REPOSITORY]

  print                      print the version (fails when package.json and Chart.yaml disagree)
  check [vX.Y.Z]             the same, and it must equal the tag
  set vX.Y.Z                 write it into every file
  stamp-chart DIR REPOSITORY in a copy of the chart at DIR: image.repository = REPOSITORY
  --help                     this text`;

async function main(argv: string[]): Promise<void> {
  const [command = 'print', ...args] = argv;
  switch (command) {
    case '--help':
    case '-h':
    case 'help':
      console.log(USAGE);
      return;
    case 'print':
      console.log(await checkVersions());
      return;
    case 'check':
      console.log(await checkVersions(repoRoot, args[0]));
      return;
    case 'set':
      if (!args[0]) throw new Error('usage: version.ts set vX.Y.Z');
      console.log(await setVersion(args[0]));
      return;
    case 'stamp-chart':
      if (!args[0] || !args[1]) throw new Error('usage: version.ts stamp-chart CHART_DIR REPOSITORY');
      await stampChart(args[0], args[1]);
      return;
    default:
      throw new Error(`unknown command "${command}"\n${USAGE}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error: Error) => {
    console.error(`version: ${error.message}`);
    process.exit(1);
  });
}
