// Seedable randomness for the simulation: reproducible in tests, fresh in production.

/** A uniform generator on [0, 1). */
export type Uniform = () => number;

/** mulberry32: small, fast and good enough for simulated traffic (not for secrets). */
export function seededUniform(seed: number): Uniform {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal variate (Box-Muller). */
export function standardNormal(uniform: Uniform): number {
  const u = 1 - uniform(); // (0, 1]: log(0) would be -Infinity
  const v = uniform();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** The 99th percentile of the standard normal distribution. */
export const Z99 = 2.3263478740408408;

/**
 * A log-normal latency distribution fixed by its median and 99th percentile: skewed, with the
 * long right tail real services show. Samples are capped at `maxMs` to keep requests bounded.
 */
export function logNormalSampler(medianMs: number, p99Ms: number, uniform: Uniform, maxMs = 30_000): () => number {
  const mu = Math.log(Math.max(medianMs, 0.001));
  const sigma = p99Ms > medianMs && medianMs > 0 ? Math.log(p99Ms / medianMs) / Z99 : 0;
  if (sigma === 0) return () => Math.min(medianMs, maxMs);
  return () => Math.min(Math.exp(mu + sigma * standardNormal(uniform)), maxMs);
}
