// Renders a chart (charts/redline by default) with the real `helm template` and parses the manifests.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';
import { withTempDir } from './temp-dir.ts';

const run = promisify(execFile);

export const CHART_DIR = fileURLToPath(new URL('../../charts/redline', import.meta.url));

/** A rendered Kubernetes object. `spec` is free-form per kind: each reader narrows what it reads. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: one type for every kind; readers narrow it
  spec?: Record<string, any>;
  data?: Record<string, string>;
  [key: string]: unknown;
}

export interface RenderOptions {
  /** A chart folder or packaged chart; charts/redline when absent. */
  chart?: string;
  release?: string;
  namespace?: string;
  /** Values files, applied in order. */
  valuesFiles?: string[];
  /** Values given inline, applied after the files. */
  values?: Record<string, unknown>;
  /** Render `helm test` hooks too (helm template includes them by default; kept explicit). */
  includeTests?: boolean;
  /** Further `helm template` arguments. */
  extraArgs?: string[];
}

export class HelmError extends Error {
  readonly stderr: string;
  constructor(command: string, stderr: string) {
    super(`${command} failed:\n${stderr.trim()}`);
    this.stderr = stderr;
  }
}

/** Runs helm with the given arguments; inline values go through a temporary file. */
export async function helm(args: string[], values?: Record<string, unknown>): Promise<string> {
  if (!values) return runHelm(args);
  return withTempDir('redline-helm-', async (dir) => {
    const file = join(dir, 'values.yaml');
    await writeFile(file, stringify(values));
    return runHelm([...args, '--values', file]);
  });
}

async function runHelm(args: string[]): Promise<string> {
  try {
    const { stdout } = await run('helm', args, { maxBuffer: 32 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const failure = error as { stderr?: string; message: string };
    throw new HelmError(`helm ${args[0] ?? ''}`, failure.stderr || failure.message);
  }
}

export async function helmTemplate(options: RenderOptions = {}): Promise<Manifest[]> {
  const args = ['template', options.release ?? 'redline', options.chart ?? CHART_DIR, '--namespace', options.namespace ?? 'default'];
  for (const file of options.valuesFiles ?? []) args.push('--values', file);
  if (options.includeTests === false) args.push('--skip-tests');
  args.push(...(options.extraArgs ?? []));
  return parseManifests(await helm(args, options.values));
}

/** The objects of a multi-document YAML stream, without empty documents. */
export function parseManifests(output: string): Manifest[] {
  return parseAllDocuments(output)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`helm template produced invalid YAML: ${doc.errors[0]?.message}`);
      return doc.toJS() as Manifest | null;
    })
    .filter((manifest): manifest is Manifest => manifest !== null && typeof manifest.kind === 'string');
}

export async function helmLint(options: Omit<RenderOptions, 'release' | 'includeTests'> = {}): Promise<string> {
  const args = ['lint', '--strict', CHART_DIR, '--namespace', options.namespace ?? 'default'];
  for (const file of options.valuesFiles ?? []) args.push('--values', file);
  return helm(args, options.values);
}

/** `helm install --dry-run=client`: what `helm install` checks and prints (NOTES), without a cluster. */
export async function helmInstallDryRun(options: Omit<RenderOptions, 'includeTests'> = {}): Promise<string> {
  const args = ['install', options.release ?? 'redline', CHART_DIR, '--dry-run=client', '--namespace', options.namespace ?? 'default'];
  for (const file of options.valuesFiles ?? []) args.push('--values', file);
  return helm(args, options.values);
}

/** Values merged the way Helm merges values files: maps key by key, anything else (lists too) replaced. */
export function mergeValues(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override === undefined ? base : override;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) out[key] = mergeValues(base[key], value);
  return out;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
