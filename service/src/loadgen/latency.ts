// Latency percentiles over a run of any length in bounded memory: every latency while there are
// fewer than `capacity`, then a uniform random sample of them (reservoir sampling, Vitter's
// algorithm R). Exact for the runs people watch (100,000 requests is 83 min at 20 req/s).
// Chosen over hdr-histogram-js, which would add 2 MB (pako, a wasm loader) to the image.
import type { Uniform } from '../simulation/random.ts';

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

export class LatencySample {
  private readonly values: Float64Array;
  private seen = 0;
  private readonly uniform: Uniform;
  constructor(capacity = 100_000, uniform: Uniform = Math.random) {
    this.values = new Float64Array(capacity);
    this.uniform = uniform;
  }

  get count(): number {
    return this.seen;
  }

  record(ms: number): void {
    const capacity = this.values.length;
    if (this.seen < capacity) this.values[this.seen] = ms;
    else {
      const slot = Math.floor(this.uniform() * (this.seen + 1));
      if (slot < capacity) this.values[slot] = ms;
    }
    this.seen += 1;
  }

  /** Nearest-rank percentiles in milliseconds (rounded to 0.1 ms); undefined before any answer. */
  percentiles(): Percentiles | undefined {
    const size = Math.min(this.seen, this.values.length);
    if (size === 0) return undefined;
    const sorted = this.values.slice(0, size).sort();
    const rank = (p: number) => Math.round(sorted[Math.max(0, Math.ceil((p / 100) * size) - 1)]! * 10) / 10;
    return { p50: rank(50), p95: rank(95), p99: rank(99) };
  }
}
