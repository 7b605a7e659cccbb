// Native histogram buckets: client_golang's schema choice, bucket keys and bucket limit.
import { expect } from 'chai';
import { ExponentialHistogram, SparseBuckets, bucketKey, bucketUpperBound, schemaForFactor, spansOf } from '../src/exponential-buckets.ts';

const ZERO = 2 ** -128;

/** A native histogram with the limit applied as a series applies it (no reset strategy here). */
function limited(schema: number, zeroThreshold: number, bucketLimit: number) {
  const h = new ExponentialHistogram({ schema, zeroThreshold, bucketLimit, maxZeroThreshold: 0, minResetDurationMs: 0 });
  return Object.assign(h, {
    observe(value: number) {
      h.add(value);
      if (h.overLimit) h.reduce();
    },
  });
}

function bucketsOf(h: ExponentialHistogram) {
  return Array.from({ length: h.positive.size }, (_, i) => [h.positive.keys[i]!, h.positive.counts[i]!]);
}

describe('metrics/exponential-buckets', () => {
  it('picks the schema client_golang picks for a bucket factor', () => {
    expect(schemaForFactor(1.1)).to.equal(3);
    expect(schemaForFactor(2)).to.equal(0);
    expect(schemaForFactor(4)).to.equal(-1);
    expect(schemaForFactor(1.00001)).to.equal(8);
    expect(schemaForFactor(1e12)).to.equal(-4);
    expect(() => schemaForFactor(1)).to.throw(RangeError);
  });

  it('puts each value in the bucket whose bounds hold it, boundaries inclusive above', () => {
    for (const schema of [-4, -2, 0, 1, 3, 8]) {
      expect(bucketKey(schema, 1)).to.equal(0);
      expect(bucketKey(schema, 1.0000001)).to.equal(1);
      for (const value of [1e-300, 3.3e-9, 0.0071, 0.5, 0.75, 2, 3, 1000, 1.7e308]) {
        const key = bucketKey(schema, value);
        const upper = bucketUpperBound(schema, key);
        const lower = bucketUpperBound(schema, key - 1);
        // Relative slack of a few ulps for bounds computed with Math.pow.
        expect(value, `schema ${schema} value ${value} key ${key}`).to.be.at.most(upper * (1 + 1e-12));
        expect(value, `schema ${schema} value ${value} key ${key}`).to.be.above(lower * (1 - 1e-12));
      }
    }
    expect(bucketKey(3, 2)).to.equal(8); // powers of two sit exactly on a boundary
    expect(bucketKey(3, 0.5)).to.equal(-8);
    expect(bucketKey(0, 4)).to.equal(2);
    expect(bucketKey(-1, 4)).to.equal(1);
    expect(bucketKey(-1, 4.0001)).to.equal(2);
    expect(bucketKey(0, 2 ** -1074)).to.equal(-1074); // subnormal
    expect(bucketKey(3, 2 ** -1070)).to.equal(-1070 * 8);
  });

  it('counts zero and tiny values in the zero bucket', () => {
    const h = limited(3, ZERO, 160);
    h.observe(0);
    h.observe(ZERO / 2);
    h.observe(0.25);
    expect(h.zeroCount).to.equal(2);
    expect(bucketsOf(h)).to.deep.equal([[-16, 1]]);
  });

  it('halves the resolution past the bucket limit, as if observed at the lower schema', () => {
    const values = Array.from({ length: 5000 }, (_, i) => 10 ** (-9 + (18 * ((i * 7919) % 5000)) / 5000));
    const reduced = limited(3, ZERO, 160);
    for (const v of values) reduced.observe(v);
    expect(reduced.positive.size).to.be.at.most(160);
    expect(reduced.schema).to.be.below(3);
    const direct = limited(reduced.schema, ZERO, 0);
    for (const v of values) direct.observe(v);
    expect(bucketsOf(reduced)).to.deep.equal(bucketsOf(direct));
    expect(bucketsOf(reduced).reduce((sum, [, count]) => sum + count!, 0)).to.equal(values.length);
  });

  it('keeps the full resolution while under the limit', () => {
    const h = limited(3, ZERO, 160);
    for (let i = 1; i <= 1000; i += 1) h.observe(0.001 * i); // 1 ms .. 1 s: about 80 buckets
    expect(h.schema).to.equal(3);
    expect(h.positive.size).to.be.within(50, 90);
  });

  it('encodes spans and deltas, filling gaps of up to two buckets', () => {
    const buckets = new SparseBuckets();
    for (const [key, times] of [
      [-3, 2],
      [-2, 1],
      [1, 4],
      [10, 1],
    ] as const)
      for (let i = 0; i < times; i += 1) buckets.increment(key);
    const { spans, deltas } = spansOf(buckets);
    expect(spans).to.deep.equal([
      { offset: -3, length: 5 },
      { offset: 8, length: 1 },
    ]);
    expect(deltas).to.deep.equal([2, -1, -1, 0, 4, -3]);
  });
});
