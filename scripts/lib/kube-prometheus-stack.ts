// The pinned kube-prometheus-stack chart (local, or pulled once) and its values' key tree, for
// `make kps-values-keys` and the tests of the kind values. `helm` runs for real.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { helm, isPlainObject, mergeValues } from './helm.ts';
import { repoRoot } from './paths.ts';
import { withTempDir } from './temp-dir.ts';
import { versions } from './versions.ts';

const run = promisify(execFile);

export const KPS_VERSION = versions.KPS_VERSION;
export const kpsValuesFile = join(repoRoot, 'k8s/kube-prometheus-stack-values.yaml');
export const redlineValuesFile = join(repoRoot, 'k8s/redline-values.yaml');

export const KPS_CHART_NAME = `kube-prometheus-stack-${KPS_VERSION}.tgz`;
/** Where a missing chart is pulled to (git-ignored with the rest of .tools/). */
export const kpsPullDir = join(repoRoot, '.tools/charts');
export const KPS_DEFAULT_REF = 'oci://ghcr.io/prometheus-community/charts/kube-prometheus-stack';
/** Bound on the one `helm pull` attempt: a 1 MB chart; without network it fails in ~0.1s. */
export const PULL_TIMEOUT_MS = 45_000;

/** Local places the chart may already be: $KPS_CHART_TGZ alone when set, else shared/ and .tools/charts/. */
function localCandidates(): string[] {
  if (process.env.KPS_CHART_TGZ) return [process.env.KPS_CHART_TGZ];
  const candidates = [join(repoRoot, '../shared/charts', KPS_CHART_NAME)];
  try {
    const common = execFileSync('git', ['rev-parse', '--git-common-dir'], { cwd: repoRoot, encoding: 'utf8', stdio: 'pipe' }).trim();
    candidates.push(resolve(repoRoot, common, '../../shared/charts', KPS_CHART_NAME));
  } catch {
    // not a git checkout: shared/ beside the clone only
  }
  candidates.push(join(kpsPullDir, KPS_CHART_NAME));
  return candidates;
}

let lookup: { chart?: string; why: string } | undefined;

/**
 * The pinned kube-prometheus-stack chart: $KPS_CHART_TGZ (only that, when set), else shared/
 * beside the clone (CI: ci.yaml's `helm pull`), shared/ beside the main checkout of a git
 * worktree, or .tools/charts/. When none has it, one `helm pull` of $KPS_CHART_REF (default
 * the chart's OCI registry) into .tools/charts/, bounded in time. Looked up once per process.
 */
export function findKpsChart(): { chart?: string; why: string } {
  if (lookup) return lookup;
  const candidates = localCandidates();
  const found = candidates.find((c) => existsSync(c));
  if (found) return (lookup = { chart: found, why: `found ${found}` });
  const ref = process.env.KPS_CHART_REF ?? KPS_DEFAULT_REF;
  const pulled = join(kpsPullDir, KPS_CHART_NAME);
  let error = '';
  try {
    mkdirSync(kpsPullDir, { recursive: true });
    execFileSync('helm', ['pull', ref, '--version', KPS_VERSION, '-d', kpsPullDir], { stdio: 'pipe', timeout: PULL_TIMEOUT_MS });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    error = (err.stderr?.toString().trim() || err.message).split('\n')[0]!;
  }
  if (existsSync(pulled)) return (lookup = { chart: pulled, why: `pulled ${ref} ${KPS_VERSION} into ${pulled}` });
  return (lookup = {
    why: `${KPS_CHART_NAME} not found (looked in ${candidates.join(', ')}) and helm pull ${ref} --version ${KPS_VERSION} failed: ${error || 'no chart written'}`,
  });
}

/** The chart's path, or throws saying where it looked (for scripts that cannot go on without it). */
export function kpsChart(): string {
  const { chart, why } = findKpsChart();
  if (!chart) throw new Error(`${why}; set KPS_CHART_TGZ or helm pull ${KPS_DEFAULT_REF} --version ${KPS_VERSION} -d .tools/charts`);
  return chart;
}

/** True once findKpsChart has looked (and maybe pulled) in this process. */
export function kpsChartLookedUp(): boolean {
  return lookup !== undefined;
}

export function helmShowValues(chart: string): Promise<string> {
  return helm(['show', 'values', chart]);
}

/**
 * The chart's default values with each subchart's own defaults under its name (helm show
 * values prints the parent's values.yaml only, where a subchart's block is partial).
 */
export async function chartDefaults(chartTgz: string): Promise<Record<string, unknown>> {
  return withTempDir('redline-chart-', async (dir) => {
    await run('tar', ['-xzf', chartTgz, '-C', dir]);
    const [top] = await readdir(dir);
    const root = join(dir, top!);
    const defaults = parse(await helmShowValues(root)) as Record<string, unknown>;
    const subcharts = await readdir(join(root, 'charts')).catch(() => [] as string[]);
    for (const name of subcharts) {
      const own = parse(await helmShowValues(join(root, 'charts', name))) as Record<string, unknown> | null;
      defaults[name] = mergeValues(own ?? {}, defaults[name]);
    }
    return defaults;
  });
}

/** Key paths ("a.b.c") in `values` that `defaults` does not have, where defaults has a closed object. */
export function unknownKeys(values: unknown, defaults: unknown, path = ''): string[] {
  if (!isPlainObject(values) || !isPlainObject(defaults)) return [];
  // An empty default map ({}) is open: resources, selectors, labels take any key.
  if (Object.keys(defaults).length === 0) return [];
  return Object.entries(values).flatMap(([key, value]) => {
    const here = path ? `${path}.${key}` : key;
    return Object.hasOwn(defaults, key) ? unknownKeys(value, defaults[key], here) : [here];
  });
}

/** Committed key tree of the pinned chart's values, for checking the kind values without the chart. */
export const kpsValuesKeysFile = join(repoRoot, 'k8s/kube-prometheus-stack-values-keys.json');

export interface ValuesKeys {
  chart: string;
  version: string;
  /** The chart's values with every leaf replaced by null; {} marks a map open to any key. */
  keys: Record<string, unknown>;
}

/** The key tree of chart defaults: maps kept, everything else (leaves, lists) null. */
export function valuesKeyTree(values: unknown): unknown {
  if (!isPlainObject(values)) return null;
  return Object.fromEntries(
    Object.keys(values)
      .sort()
      .map((k) => [k, valuesKeyTree(values[k])]),
  );
}

export async function kpsValuesKeys(chartTgz: string): Promise<ValuesKeys> {
  return {
    chart: 'kube-prometheus-stack',
    version: KPS_VERSION,
    keys: valuesKeyTree(await chartDefaults(chartTgz)) as Record<string, unknown>,
  };
}
