import { expect } from 'chai';
import { logNormalSampler, seededUniform, standardNormal } from '../../src/simulation/random.ts';

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

describe('simulation/random', () => {
  it('repeats the same sequence for the same seed, and another for another seed', () => {
    const a = seededUniform(7);
    const b = seededUniform(7);
    const c = seededUniform(8);
    const first = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).to.deep.equal(first);
    expect(Array.from({ length: 5 }, c)).not.to.deep.equal(first);
  });

  it('is uniform on [0, 1) (chi-square over 10 bins, fixed seed)', () => {
    const uniform = seededUniform(1234);
    const bins = new Array<number>(10).fill(0);
    const n = 100_000;
    for (let i = 0; i < n; i += 1) {
      const u = uniform();
      expect(u).to.be.at.least(0).and.below(1);
      bins[Math.floor(u * 10)]! += 1;
    }
    const expected = n / 10;
    const chi2 = bins.reduce((sum, observed) => sum + (observed - expected) ** 2 / expected, 0);
    expect(chi2).to.be.below(21.67); // 99th percentile of chi-square with 9 degrees of freedom
  });

  it('draws standard normals with mean 0 and variance 1', () => {
    const uniform = seededUniform(99);
    const n = 50_000;
    const draws = Array.from({ length: n }, () => standardNormal(uniform));
    const mean = draws.reduce((a, b) => a + b, 0) / n;
    const variance = draws.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
    expect(mean).to.be.closeTo(0, 0.02);
    expect(variance).to.be.closeTo(1, 0.03);
  });

  it('gives latencies with the configured median and p99, skewed to the right', () => {
    const sample = logNormalSampler(40, 400, seededUniform(2024));
    const draws = Array.from({ length: 50_000 }, sample).sort((a, b) => a - b);
    expect(quantile(draws, 0.5)).to.be.closeTo(40, 40 * 0.04);
    expect(quantile(draws, 0.99)).to.be.closeTo(400, 400 * 0.08);
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    expect(mean).to.be.above(quantile(draws, 0.5) * 1.2); // a long tail pulls the mean up
    expect(draws[0]).to.be.above(0);
  });

  it('caps samples so no request waits without bound', () => {
    const sample = logNormalSampler(1000, 30_000, seededUniform(5), 2_000);
    expect(Math.max(...Array.from({ length: 10_000 }, sample))).to.equal(2_000);
  });

  it('is constant when p99 equals the median', () => {
    const sample = logNormalSampler(25, 25, seededUniform(1));
    expect(new Set(Array.from({ length: 100 }, sample))).to.deep.equal(new Set([25]));
  });
});
