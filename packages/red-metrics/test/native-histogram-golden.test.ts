// Golden tests: redline's native and classic histogram against an independent reference of
// client_golang's algorithm (support/reference-native-histogram.ts), over generated inputs:
// every schema with bucket boundaries and their float neighbours, subnormals, the zero
// threshold, ±Inf and NaN, and each bucket-limit strategy in client_golang's order.
import { expect } from 'chai';
import { DurationHistogram, type HistogramSeries } from '../src/duration-histogram.ts';
import { bucketKey, bucketUpperBound, DEFAULT_ZERO_THRESHOLD } from '../src/exponential-buckets.ts';
import { NO_DEFAULT_LABELS } from '../src/exposition.ts';
import { decodeProtobuf, encodeFamilyHeader, lengthPrefix } from '../src/protobuf.ts';
import { ProtoWriter } from '../src/proto-writer.ts';
import {
  nextDown,
  nextUp,
  ReferenceHistogram,
  referenceKey,
  referenceUpperBound,
  type Snapshot,
} from './support/reference-native-histogram.ts';

const SCHEMAS = [-4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8];

/** A bucket factor that picks `schema` (2^(2^-schema), nudged up against rounding). */
const factorFor = (schema: number) => 2 ** (2 ** -schema) * (1 + 1e-9);

/** Deterministic pseudo-random numbers in [0, 1). */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 48271) % 2147483647;
    return state / 2147483647;
  };
}

/** Keys whose bounds are worth testing at a schema: around 1, the subnormals and the largest floats. */
function interestingKeys(schema: number): number[] {
  const perPower = 2 ** schema;
  const keysOfPowers = (from: number, to: number) => {
    const keys: number[] = [];
    const first = Math.floor((from * perPower) / 1);
    for (let key = Math.floor(first); key <= Math.ceil(to * perPower); key += 1) keys.push(key);
    return keys;
  };
  if (schema <= 0) {
    // Every key: at most 2150 of them between the smallest subnormal and +Inf.
    const keys: number[] = [];
    for (let key = Math.floor(-1080 / 2 ** -schema); key <= Math.ceil(1030 / 2 ** -schema); key += 1) keys.push(key);
    return keys;
  }
  return [...keysOfPowers(-1076, -1070), ...keysOfPowers(-1024, -1020), ...keysOfPowers(-3, 3), ...keysOfPowers(1020, 1024)];
}

function seriesOf(histogram: DurationHistogram): HistogramSeries {
  return histogram.series([]);
}

function productionSnapshot(series: HistogramSeries): Snapshot {
  const native = series.native!;
  const n = series.data.length - 3;
  const pairs = (buckets: typeof native.positive) =>
    Array.from({ length: buckets.size }, (_, i) => [buckets.keys[i]!, buckets.counts[i]!] as [number, number]);
  return {
    count: series.count,
    sum: series.sum,
    classic: Array.from(series.data.subarray(0, n + 1)),
    schema: native.schema,
    zeroThreshold: native.zeroThreshold,
    zeroCount: native.zeroCount,
    positive: pairs(native.positive),
    negative: pairs(native.negative),
    lastResetTime: series.startedAt,
  };
}

describe('metrics/native histograms: golden, against a reference of client_golang', () => {
  it('computes the bucket key of every boundary and of both its float neighbours, at every schema', () => {
    let checked = 0;
    for (const schema of SCHEMAS) {
      for (const key of interestingKeys(schema)) {
        const bound = referenceUpperBound(schema, key);
        expect(Object.is(bucketUpperBound(schema, key), bound), `upper bound of key ${key} at schema ${schema}`).to.equal(true);
        for (const value of [nextDown(bound), bound, nextUp(bound)]) {
          if (!(value > 0)) continue;
          const expected = referenceKey(schema, value);
          if (bucketKey(schema, value) !== expected) {
            expect.fail(`schema ${schema}: ${value} goes to bucket ${bucketKey(schema, value)}, client_golang's is ${expected}`);
          }
          checked += 1;
        }
      }
    }
    expect(checked).to.be.above(40_000);
  });

  it('agrees on log-uniform values over the whole float range, subnormals included', () => {
    const next = random(17);
    for (let i = 0; i < 20_000; i += 1) {
      const value = 2 ** (next() * 2098 - 1074) * (1 + next());
      if (!(value > 0) || value === Number.POSITIVE_INFINITY) continue;
      for (const schema of SCHEMAS) {
        if (bucketKey(schema, value) !== referenceKey(schema, value)) {
          expect.fail(`schema ${schema}: ${value} goes to ${bucketKey(schema, value)}, client_golang's ${referenceKey(schema, value)}`);
        }
      }
    }
  });

  it('puts the examples of the issue where client_golang puts them', () => {
    expect(referenceKey(3, Math.SQRT2)).to.equal(5); // √2 is just above the table's boundary 2^(1/2)
    expect(bucketKey(3, Math.SQRT2)).to.equal(5);
    for (const schema of SCHEMAS) {
      expect(bucketKey(schema, Number.POSITIVE_INFINITY), `+Inf at schema ${schema}`).to.equal(bucketKey(schema, Number.MAX_VALUE) + 1);
      expect(bucketKey(schema, Number.POSITIVE_INFINITY)).to.equal(referenceKey(schema, Number.POSITIVE_INFINITY));
      expect(bucketKey(schema, Number.MIN_VALUE)).to.equal(referenceKey(schema, Number.MIN_VALUE));
      expect(bucketUpperBound(schema, bucketKey(schema, Number.MAX_VALUE))).to.equal(Number.MAX_VALUE);
    }
  });

  it('with bucket limit 1, [1, 4, 1] ends at schema 1, as in client_golang (halving once per observation)', () => {
    const clock = () => 0;
    const histogram = new DurationHistogram({ name: 't', help: 't', labelNames: [], buckets: [1], native: { bucketLimit: 1 }, clock });
    const reference = new ReferenceHistogram({
      classicBounds: [1],
      schema: 3,
      zeroThreshold: DEFAULT_ZERO_THRESHOLD,
      maxBuckets: 1,
      maxZeroThreshold: 0,
      minResetDuration: 0,
      now: clock,
    });
    for (const value of [1, 4, 1]) {
      seriesOf(histogram).observe(value);
      reference.observe(value);
    }
    expect(reference.schema).to.equal(1);
    expect(productionSnapshot(seriesOf(histogram))).to.deep.equal(reference.snapshot());
  });

  it('reports a reset through the start timestamp: the series starts again, with the observation that overflowed', () => {
    let now = 1_765_000_000_000;
    const histogram = new DurationHistogram({
      name: 't',
      help: 't',
      labelNames: [],
      buckets: [1],
      native: { bucketLimit: 1, minResetDurationMs: 1_000 },
      clock: () => now,
    });
    const startOf = () => {
      const writer = new ProtoWriter();
      histogram.encodeSeries(writer, 0, 1, NO_DEFAULT_LABELS);
      const family = Buffer.concat([encodeFamilyHeader(histogram), writer.take(true)]);
      return decodeProtobuf(Buffer.concat([lengthPrefix(family.length), family]))[0]!.metric[0]!.histogram!;
    };
    seriesOf(histogram).observe(0.1);
    expect(startOf().createdTimestamp).to.deep.equal({ seconds: 1_765_000_000 }); // a zero nanos is not written (proto3)
    now += 2_500;
    seriesOf(histogram).observe(3); // a second bucket, past the limit, 2.5 s after the start: reset
    expect(startOf()).to.include({ sampleCount: 1, sampleSum: 3, schema: 3 });
    expect(startOf().createdTimestamp).to.deep.equal({ seconds: 1_765_000_002, nanos: 500_000_000 });
  });

  it('counts NaN in the classic +Inf bucket only and in no native bucket; ±Inf in overflow buckets', () => {
    const histogram = new DurationHistogram({ name: 't', help: 't', labelNames: [], buckets: [0.1, 1], native: {} });
    const series = seriesOf(histogram);
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.5]) series.observe(value);
    expect(Array.from(series.data.subarray(0, 3))).to.deep.equal([1, 1, 2]); // -Inf | 0.5 | NaN, +Inf
    expect(series.count).to.equal(4);
    expect(series.sum).to.be.NaN;
    const native = series.native!;
    expect(native.zeroCount).to.equal(0);
    expect(Array.from(native.positive.keys.subarray(0, native.positive.size))).to.deep.equal([
      referenceKey(3, 0.5),
      referenceKey(3, Number.POSITIVE_INFINITY),
    ]);
    expect(Array.from(native.negative.keys.subarray(0, native.negative.size))).to.deep.equal([referenceKey(3, Number.NEGATIVE_INFINITY)]);
  });

  it('matches the reference observation by observation, for every limit strategy', function () {
    this.timeout(120_000);
    const totals = { reset: 0, scheduledReset: 0, widen: 0, halve: 0 };
    let configurations = 0;
    const classicBounds = [-1, 0, 0.005, 0.1, 1, 10];
    for (const schema of [-4, -1, 0, 3, 8]) {
      for (const zeroThreshold of [DEFAULT_ZERO_THRESHOLD, 0, -1, 0.001]) {
        for (const bucketLimit of [0, 1, 3, 12]) {
          for (const maxZeroThreshold of [0, 0.05]) {
            for (const minResetDurationMs of [0, 1000]) {
              configurations += 1;
              let now = 1_700_000_000_000;
              const clock = () => now;
              const histogram = new DurationHistogram({
                name: 't',
                help: 't',
                labelNames: [],
                buckets: classicBounds,
                native: { bucketFactor: factorFor(schema), zeroThreshold, bucketLimit, maxZeroThreshold, minResetDurationMs },
                clock,
              });
              const reference = new ReferenceHistogram({
                classicBounds,
                schema,
                zeroThreshold: Math.max(0, zeroThreshold),
                maxBuckets: bucketLimit,
                maxZeroThreshold,
                minResetDuration: minResetDurationMs,
                now: clock,
              });
              const series = seriesOf(histogram);
              expect(series.native!.schema).to.equal(schema);
              const next = random(configurations);
              for (let i = 0; i < 150; i += 1) {
                now += Math.floor(next() * 120);
                const value = generatedValue(next, schema);
                reference.fireDueReset();
                series.observe(value);
                reference.observe(value);
                reference.fireDueReset();
                series.resetIfDue();
                const actual = productionSnapshot(series);
                const expected = reference.snapshot();
                if (JSON.stringify(actual) !== JSON.stringify(expected) || !Object.is(actual.sum, expected.sum)) {
                  const where = `schema ${schema}, zeroThreshold ${zeroThreshold}, limit ${bucketLimit}, maxZeroThreshold ${maxZeroThreshold}, minReset ${minResetDurationMs}, observation ${i} (${value})`;
                  expect(actual, where).to.deep.equal(expected);
                }
              }
              for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += reference.applied[key];
            }
          }
        }
      }
    }
    for (const [strategy, times] of Object.entries(totals)) expect(times, `${strategy} exercised`).to.be.above(10);
  });
});

/** Durations mostly, and the edge cases: zero, ±0 neighbours, subnormals, negatives, ±Inf, NaN, boundaries. */
function generatedValue(next: () => number, schema: number): number {
  const pick = next();
  if (pick < 0.5) return 10 ** (next() * 6 - 5); // 10 µs … 10 s
  if (pick < 0.6) return -(10 ** (next() * 4 - 3));
  if (pick < 0.65) return 0;
  if (pick < 0.7) return Number.MIN_VALUE * Math.ceil(next() * 1000); // subnormal
  if (pick < 0.75) return [DEFAULT_ZERO_THRESHOLD, nextUp(DEFAULT_ZERO_THRESHOLD), 0.001, nextUp(0.001), -0.001][Math.floor(next() * 5)]!;
  if (pick < 0.78) return [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN][Math.floor(next() * 3)]!;
  const bound = referenceUpperBound(schema, Math.floor(next() * 40 - 20));
  return [nextDown(bound), bound, nextUp(bound)][Math.floor(next() * 3)]!;
}
