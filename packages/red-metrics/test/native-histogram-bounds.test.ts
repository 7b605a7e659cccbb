// client_golang's bounds table, kept as data in native-histogram-bounds.ts, is what its own
// comment says generates it: row 0 is [0.5]; in row s, each even entry is the row below's
// entry at half the index (for precision), each odd entry is the one before it times
// math.Exp2(math.Exp2(-s)), Go's Exp2 (support/reference-native-histogram.ts restates it).
import { expect } from 'chai';
import { NATIVE_HISTOGRAM_BOUNDS } from '../src/native-histogram-bounds.ts';
import { deriveBoundsTable, goExp2, nextDown } from './support/reference-native-histogram.ts';

describe('metrics/native-histogram-bounds', () => {
  it('is the table client_golang derives, bit for bit', () => {
    const derived = deriveBoundsTable();
    expect(NATIVE_HISTOGRAM_BOUNDS.length).to.equal(9);
    for (const [schema, row] of derived.entries()) {
      expect(NATIVE_HISTOGRAM_BOUNDS[schema], `schema ${schema}`).to.deep.equal(row);
    }
  });

  it('reuses each even entry from the schema below, and grows by 2^(2^-schema) within a few ulps', () => {
    for (let schema = 1; schema <= 8; schema += 1) {
      const row = NATIVE_HISTOGRAM_BOUNDS[schema]!;
      expect(row.length).to.equal(2 ** schema);
      for (const [i, bound] of row.entries()) {
        if (i % 2 === 0) expect(bound).to.equal(NATIVE_HISTOGRAM_BOUNDS[schema - 1]![i / 2]);
        expect(Math.abs(bound / 2 ** (i / 2 ** schema - 1) - 1), `schema ${schema} entry ${i}`).to.be.below(1e-15); // a few ulps: Go’s Exp2 errs and the products round
      }
    }
  });

  it('differs from the correctly rounded 2^(i/2^s - 1) where Go’s Exp2 rounds the other way (√2/2 at schema 1)', () => {
    expect(goExp2(0.5)).to.equal(nextDown(Math.SQRT2));
    expect(NATIVE_HISTOGRAM_BOUNDS[1]![1]).to.equal(nextDown(Math.SQRT1_2));
  });
});
