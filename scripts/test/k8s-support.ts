// Test helpers for the cluster path: the pinned kube-prometheus-stack chart (local, or pulled once), and
// `helm template` / `helm show values` run for real.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Context } from 'mocha';
import { parse } from 'yaml';
import { helm, helmTemplate as renderChart } from '../helm-template.ts';
import { versions } from '../lib/versions.ts';

const run = promisify(execFile);

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const KPS_VERSION = versions.KPS_VERSION;
export const kpsValuesFile = join(repoRoot, 'k8s/kube-prometheus-stack-values.yaml');
export const redlineValuesFile = join(repoRoot, 'k8s/redline-values.yaml');

export const KPS_CHART_NAME = `kube-prometheus-stack-${KPS_VERSION}.tgz`;
/** Where a missing chart is pulled to (git-ignored with the rest of .tools/). */
export const kpsPullDir = join(repoRoot, '.tools/charts');
const KPS_DEFAULT_REF = 'oci://ghcr.io/prometheus-community/charts/kube-prometheus-stack';
/** Bound on the one `helm pull` attempt: a 1 MB chart; without network it fails in ~0.1s. */
const PULL_TIMEOUT_MS = 45_000;

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

let warned = false;

/** Says loudly, once per run, that specs needing the chart are skipped, and why. */
export function warnKpsChartMissing(): void {
  if (warned) return;
  warned = true;
  const bar = '!'.repeat(100);
  console.warn(`\n${bar}\n!!! KUBE-PROMETHEUS-STACK SPECS SKIPPED: ${findKpsChart().why}.\n` +
    `!!! The kind values were NOT rendered with helm template. Set KPS_CHART_TGZ to a local ${KPS_CHART_NAME}, or run\n` +
    `!!! helm pull ${KPS_DEFAULT_REF} --version ${KPS_VERSION} -d .tools/charts, and rerun.\n${bar}\n`);
}

/** In a mocha hook or test: the chart's path, or skip it (and say so loudly) when the chart is not to be had. */
export function requireKpsChart(ctx: Context): string {
  // The one pull attempt may take up to its bound, on top of the spec's own work.
  if (!lookup && ctx.timeout() > 0) ctx.timeout(ctx.timeout() + PULL_TIMEOUT_MS);
  const { chart } = findKpsChart();
  if (!chart) {
    warnKpsChartMissing();
    ctx.skip();
  }
  return chart!;
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
  return (await renderChart({ chart, release, namespace, extraArgs: args })) as Manifest[];
}

export function helmShowValues(chart: string): Promise<string> {
  return helm(['show', 'values', chart]);
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
  if (!isObject(values)) return null;
  return Object.fromEntries(Object.keys(values).sort().map((k) => [k, valuesKeyTree(values[k])]));
}

export async function kpsValuesKeys(chartTgz: string): Promise<ValuesKeys> {
  return { chart: 'kube-prometheus-stack', version: KPS_VERSION, keys: valuesKeyTree(await chartDefaults(chartTgz)) as Record<string, unknown> };
}
