// Render CPU against another version of the metrics package (BENCH_BASE, a git ref; default
// 5e82f84, the whole-payload renderer issue 21 set its CPU target against). The base's source
// is taken from git into .local/bench/base-<ref>/ and imported from there, so both sides
// run in this process on registries filled the same way. Each round renders base, candidate and
// a second base registry in a shuffled order; the candidate/base ratio of process CPU (GC
// threads included) is paired within the round, and base/base is the A/A control.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { type ExpositionFormat, serialRenderer, streamingRenderer } from '@redline/red-metrics';
import { RedMetrics } from '@redline/red-metrics/koa';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { labelSetsFor } from '../fixtures/series.ts';
import { shuffled, summarise, type Summary } from '../lib/stats.ts';

export interface RenderCompareResult {
  base: string;
  series: number;
  format: ExpositionFormat;
  /** Candidate CPU / base CPU per round. */
  ratio: Summary;
  /** Base CPU / the other base registry's, per round: the noise floor. */
  control: Summary;
  baseCpuMs: number;
  candidateCpuMs: number;
}

interface Side {
  render: (format: ExpositionFormat) => Promise<unknown>;
}

interface Package {
  RedMetrics: new (
    registry: Registry,
    options: { nativeHistograms: boolean },
  ) => {
    observe(method: string, route: string, status: number, seconds: number, error: boolean): void;
  };
  serialRenderer: (registry: Registry) => (format: ExpositionFormat) => Promise<{ body: string | Uint8Array }>;
  /** Since the body is streamed (3b76f94). */
  streamingRenderer?: (registry: Registry) => (format: ExpositionFormat) => Promise<{ body: AsyncIterable<Uint8Array> }>;
}

/** The metrics package as it was at `ref` (its folder then: service/src/metrics, later packages/red-metrics/src). */
async function basePackage(ref: string): Promise<Package> {
  const commit = execFileSync('git', ['rev-parse', '--short', ref], { cwd: repoRoot, encoding: 'utf8' }).trim();
  const dir = join(repoRoot, '.local', 'bench', `base-${commit}`);
  const folder = ['packages/red-metrics/src', 'service/src/metrics'].find(
    (candidate) =>
      execFileSync('git', ['ls-tree', '--name-only', commit, `${candidate}/endpoint.ts`], { cwd: repoRoot, encoding: 'utf8' }) !== '',
  );
  if (!folder) throw new Error(`BENCH_BASE=${ref}: no metrics package (endpoint.ts) at ${commit}`);
  if (!existsSync(join(dir, folder, 'endpoint.ts'))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    execFileSync('sh', ['-c', `git archive ${commit} ${folder} | tar -x -C "${dir}"`], { cwd: repoRoot });
    symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules')); // its prom-client and protobufjs: ours
  }
  const load = (file: string) => import(join(dir, folder, file));
  return { ...(await load('red-metrics.ts')), ...(await load('endpoint.ts')) } as Package;
}

function side(pkg: Package, series: number): Side {
  const registry = new Registry();
  const metrics = new pkg.RedMetrics(registry, { nativeHistograms: true });
  for (const [method, route, status] of labelSetsFor(series)) metrics.observe(method, route, status, 0.01, false);
  // What a scrape costs up to the socket: a streamed body drained chunk by chunk, a whole one
  // encoded as Koa encodes a string body.
  const streaming = pkg.streamingRenderer?.(registry);
  if (streaming) {
    return {
      render: async (format) => {
        for await (const _chunk of (await streaming(format)).body);
      },
    };
  }
  const whole = pkg.serialRenderer(registry);
  return {
    render: async (format) => {
      const { body } = await whole(format);
      return typeof body === 'string' ? Buffer.from(body) : body;
    },
  };
}

async function cpuOf(render: () => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  await render();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

export async function renderCompare(
  base: string,
  sizes: number[],
  formats: ExpositionFormat[],
  rounds: number,
  log: (line: string) => void,
): Promise<RenderCompareResult[]> {
  const basePkg = await basePackage(base);
  const candidatePkg = { RedMetrics, serialRenderer, streamingRenderer } as unknown as Package;
  const results: RenderCompareResult[] = [];
  for (const series of sizes) {
    const sides = { base: side(basePkg, series), candidate: side(candidatePkg, series), control: side(basePkg, series) };
    for (const format of formats) {
      for (const s of Object.values(sides)) for (let i = 0; i < 3; i += 1) await s.render(format); // warm-up
      const ratio: number[] = [];
      const control: number[] = [];
      const cpu = { base: [] as number[], candidate: [] as number[] };
      for (let round = 0; round < rounds; round += 1) {
        const measured: Record<string, number> = {};
        for (const name of shuffled(Object.keys(sides) as (keyof typeof sides)[]))
          measured[name] = await cpuOf(() => sides[name].render(format));
        ratio.push(measured.candidate! / measured.base!);
        control.push(measured.control! / measured.base!);
        cpu.base.push(measured.base!);
        cpu.candidate.push(measured.candidate!);
      }
      const result = {
        base,
        series,
        format,
        ratio: summarise(ratio),
        control: summarise(control),
        baseCpuMs: summarise(cpu.base).median,
        candidateCpuMs: summarise(cpu.candidate).median,
      };
      results.push(result);
      log(
        `render-compare: ${series} series ${format}: candidate/base CPU ${result.ratio.median.toFixed(2)} (IQR ${result.ratio.q1.toFixed(2)}–${result.ratio.q3.toFixed(2)}), A/A ${result.control.median.toFixed(2)} (IQR ${result.control.q1.toFixed(2)}–${result.control.q3.toFixed(2)}); ${result.baseCpuMs.toFixed(1)} → ${result.candidateCpuMs.toFixed(1)} ms`,
      );
    }
  }
  return results;
}
