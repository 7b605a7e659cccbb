// Test helpers for the cluster path: the pinned kube-prometheus-stack chart from shared/, and
// `helm template` / `helm show values` run for real.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';

const run = promisify(execFile);

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const KPS_VERSION = '88.5.3';
export const kpsValuesFile = join(repoRoot, 'k8s/kube-prometheus-stack-values.yaml');
export const redlineValuesFile = join(repoRoot, 'k8s/redline-values.yaml');

/**
 * The kube-prometheus-stack chart, offline: $KPS_CHART_TGZ, else shared/ beside the clone
 * (CI, and ci.yaml's `helm pull`), else shared/ beside the main checkout of a git worktree.
 */
export function kpsChart(): string {
  const name = `kube-prometheus-stack-${KPS_VERSION}.tgz`;
  const candidates = [process.env.KPS_CHART_TGZ, join(repoRoot, '../shared/charts', name)];
  try {
    const common = execFileSync('git', ['rev-parse', '--git-common-dir'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    candidates.push(resolve(repoRoot, common, '../../shared/charts', name));
  } catch {
    // not a git checkout: the first two candidates only
  }
  const found = candidates.find((c): c is string => !!c && existsSync(c));
  if (!found) {
    throw new Error(`${name} not found (looked in ${candidates.filter(Boolean).join(', ')}); set KPS_CHART_TGZ or ` +
      `helm pull oci://ghcr.io/prometheus-community/charts/kube-prometheus-stack --version ${KPS_VERSION} -d ../shared/charts`);
  }
  return found;
}

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, any>;
  data?: Record<string, string>;
  [key: string]: any;
}

export async function helmTemplate(release: string, chart: string, namespace: string, args: string[] = []): Promise<Manifest[]> {
  const { stdout } = await run('helm', ['template', release, chart, '--namespace', namespace, ...args], { maxBuffer: 64 * 1024 * 1024 });
  return parseAllDocuments(stdout).map((d) => d.toJS() as Manifest | null).filter((m): m is Manifest => !!m && !!m.kind);
}

export async function helmShowValues(chart: string): Promise<string> {
  const { stdout } = await run('helm', ['show', 'values', chart], { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/**
 * The chart's default values with each subchart's own defaults under its name (helm show
 * values prints the parent's values.yaml only, where a subchart's block is partial).
 */
export async function chartDefaults(chartTgz: string): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'redline-chart-'));
  try {
    await run('tar', ['-xzf', chartTgz, '-C', dir]);
    const [top] = await readdir(dir);
    const root = join(dir, top!);
    const defaults = parse(await helmShowValues(root)) as Record<string, unknown>;
    const subcharts = await readdir(join(root, 'charts')).catch(() => [] as string[]);
    for (const name of subcharts) {
      const own = parse(await helmShowValues(join(root, 'charts', name))) as Record<string, unknown> | null;
      defaults[name] = merge(own ?? {}, defaults[name]);
    }
    return defaults;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function merge(base: unknown, over: unknown): unknown {
  if (!isObject(base) || !isObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = merge(base[k], v);
  return out;
}

/** Key paths ("a.b.c") in `values` that `defaults` does not have, where defaults has a closed object. */
export function unknownKeys(values: unknown, defaults: unknown, path = ''): string[] {
  if (!isObject(values) || !isObject(defaults)) return [];
  // An empty default map ({}) is open: resources, selectors, labels take any key.
  if (Object.keys(defaults).length === 0) return [];
  return Object.entries(values).flatMap(([key, value]) => {
    const here = path ? `${path}.${key}` : key;
    return Object.hasOwn(defaults, key) ? unknownKeys(value, defaults[key], here) : [here];
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
