// Memory per series: live heap and ArrayBuffers (after full GCs) of RedMetrics holding N label sets, each fed
// with the same latency spread (log-normal, median 20 ms, p99 200 ms: about 40 populated native
// buckets), with native histograms off and on; and the same in client_golang
// (bench/golang/memory.go) when a Go toolchain and client_golang's source are at hand.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { Registry } from 'prom-client';
import { RedMetrics } from '@redline/red-metrics/koa';
import { repoRoot } from '../../scripts/lib/paths.ts';
import { labelSetsFor } from '../fixtures/series.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

export interface MemoryResult {
  labelSets: number;
  observationsPerSet: number;
  classicBytesPerSet: number;
  nativeBytesPerSet: number;
  nativeBucketsPerSet: number;
  /** The same label sets and observations in client_golang, or why it was not run. */
  golang: GolangMemory | { skipped: string };
}

export interface GolangMemory {
  classicBytesPerSet: number;
  nativeBytesPerSet: number;
  goVersion: string;
  clientGolang: string;
}

/**
 * Runs bench/golang/memory.go in GOPATH mode against client_golang's source in BENCH_GOPATH
 * (default /usr/share/gocode, where Debian's golang-github-prometheus-client-golang-dev puts
 * it; no module download needed).
 */
function golangMemory(labelSets: number, observations: number): GolangMemory | { skipped: string } {
  const gopath = process.env.BENCH_GOPATH ?? '/usr/share/gocode';
  const env = { ...process.env, GO111MODULE: 'off', GOPATH: gopath, GOFLAGS: '', GOCACHE: join(repoRoot, '.local', 'go-cache') };
  const source = join(gopath, 'src', 'github.com', 'prometheus', 'client_golang');
  try {
    execFileSync('go', ['version'], { env, stdio: 'ignore' });
  } catch {
    return { skipped: 'no go on PATH (Debian: apt-get install golang-go golang-github-prometheus-client-golang-dev)' };
  }
  let clientGolang = 'unknown version';
  try {
    clientGolang = execFileSync('dpkg-query', ['-W', '-f', '${Version}', 'golang-github-prometheus-client-golang-dev'], {
      encoding: 'utf8',
    });
  } catch {
    // not a Debian package: the version is whatever BENCH_GOPATH holds
  }
  try {
    const out = execFileSync('go', ['run', join(repoRoot, 'bench', 'golang', 'memory.go'), String(labelSets), String(observations)], {
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { ...(JSON.parse(out) as Omit<GolangMemory, 'clientGolang'>), clientGolang };
  } catch (error) {
    return {
      skipped: `go run bench/golang/memory.go with client_golang from ${source} failed: ${(error as Error).message.split('\n')[0]}`,
    };
  }
}

/**
 * Live memory after full collections: the V8 heap and the bytes of ArrayBuffers (typed arrays
 * over 64 bytes, such as a series' counts, and Buffers, such as its encoded label suffix, live
 * outside the heap).
 */
function liveMemory(): number {
  for (let i = 0; i < 3; i += 1) gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

function fill(native: boolean, sets: [string, string, number][], observations: number): { metrics: RedMetrics; bytes: number } {
  const before = liveMemory();
  const metrics = new RedMetrics(new Registry(), { nativeHistograms: native });
  let seed = 1;
  const sigma = Math.log(10) / 2.326;
  for (const [method, route, status] of sets) {
    for (let i = 0; i < observations; i += 1) {
      seed = (seed * 48271) % 2147483647;
      const u1 = seed / 2147483647;
      seed = (seed * 48271) % 2147483647;
      const u2 = seed / 2147483647;
      const normal = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
      metrics.observe(method, route, status, 0.02 * Math.exp(sigma * normal), false);
    }
  }
  return { metrics, bytes: liveMemory() - before };
}

export function memory(labelSets: number, observations: number, log: (line: string) => void): MemoryResult {
  const sets = labelSetsFor(labelSets * 19).slice(0, labelSets);
  const classic = fill(false, sets, observations);
  const classicBytes = classic.bytes;
  const native = fill(true, sets, observations);
  const [method, route, status] = sets[0]!;
  const series = native.metrics.duration.series([method, route, String(status)]);
  const result = {
    labelSets: sets.length,
    observationsPerSet: observations,
    classicBytesPerSet: classicBytes / sets.length,
    nativeBytesPerSet: native.bytes / sets.length,
    nativeBucketsPerSet: series.native!.positive.size,
    golang: golangMemory(sets.length, observations),
  };
  log(
    `memory: ${result.labelSets} label sets, ${Math.round(result.classicBytesPerSet)} B classic, ${Math.round(result.nativeBytesPerSet)} B native per label set`,
  );
  const go = result.golang;
  log(
    'skipped' in go
      ? `memory: client_golang not measured: ${go.skipped}`
      : `memory: client_golang ${go.clientGolang} (${go.goVersion}): ${Math.round(go.classicBytesPerSet)} B classic, ${Math.round(go.nativeBytesPerSet)} B native per label set`,
  );
  return result;
}
