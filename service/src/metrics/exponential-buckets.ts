// Exponential (native) histogram buckets, with the schema and bucket-limit rules of the
// reference client (prometheus/client_golang): bucket boundaries are powers of
// 2^(2^-schema), 1 is always a boundary, and a histogram that grows past its bucket limit
// halves its resolution (schema - 1) by merging neighbouring buckets.
// Storage is sparse and bounded: sorted Int32Array keys and Float64Array counts, at most
// `limit` + 1 entries per sign.

export const MIN_SCHEMA = -4;
export const MAX_SCHEMA = 8;
/** client_golang's DefNativeHistogramZeroThreshold: 2^-128. */
export const DEFAULT_ZERO_THRESHOLD = 2 ** -128;
export const DEFAULT_BUCKET_FACTOR = 1.1;
export const DEFAULT_BUCKET_LIMIT = 160;

/** The highest resolution whose bucket growth factor, 2^(2^-schema), is at most `factor`. */
export function schemaForFactor(factor: number): number {
  if (!(factor > 1)) throw new RangeError(`bucket factor must be > 1 (got ${factor})`);
  const floor = Math.floor(Math.log2(Math.log2(factor)));
  if (floor <= -MAX_SCHEMA) return MAX_SCHEMA;
  if (floor >= -MIN_SCHEMA) return MIN_SCHEMA;
  return -floor;
}

/** Upper bound of bucket `key` at `schema`: 2^(key * 2^-schema). */
export function bucketUpperBound(schema: number, key: number): number {
  return 2 ** (key * 2 ** -schema);
}

// frexp: the binary exponent and the fraction in [0.5, 1), read from the IEEE 754 bits.
const scratch = new Float64Array(1);
const words = new Uint32Array(scratch.buffer); // little-endian: words[1] holds sign and exponent
const BIG_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 0;
const HIGH = BIG_ENDIAN ? 0 : 1;

/** fractions[schema][i] = 2^(i * 2^-schema - 1): the bucket boundaries within one power of two. */
const fractions: Float64Array[] = [];
for (let schema = 1; schema <= MAX_SCHEMA; schema += 1) {
  const n = 2 ** schema;
  const bounds = new Float64Array(n);
  for (let i = 0; i < n; i += 1) bounds[i] = 2 ** (i / n - 1);
  fractions[schema] = bounds;
}

/** The bucket key of a positive finite value: the bucket (2^((k-1)/2^s), 2^(k/2^s)] holds it. */
export function bucketKey(schema: number, value: number): number {
  scratch[0] = value;
  let high = words[HIGH]!;
  let exponent = (high >>> 20) & 0x7ff;
  let shift = 0;
  if (exponent === 0) {
    // Subnormal: scale into the normal range first.
    scratch[0] = value * 2 ** 64;
    high = words[HIGH]!;
    exponent = (high >>> 20) & 0x7ff;
    shift = 64;
  }
  const exp = exponent - 1022 - shift; // value = fraction * 2^exp
  words[HIGH] = (high & 0x800fffff) | 0x3fe00000;
  const fraction = scratch[0]!; // in [0.5, 1)
  if (schema > 0) {
    const bounds = fractions[schema]!;
    // The first boundary >= fraction (bounds are sorted; at most 256 of them).
    let lo = 0;
    let hi = bounds.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (bounds[mid]! < fraction) lo = mid + 1;
      else hi = mid;
    }
    return lo + (exp - 1) * bounds.length;
  }
  const key = fraction === 0.5 ? exp - 1 : exp;
  const offset = (1 << -schema) - 1;
  return (key + offset) >> -schema;
}

/** One sign's populated buckets: sorted keys and their counts. */
export class SparseBuckets {
  keys = new Int32Array(8);
  counts = new Float64Array(8);
  size = 0;
  /** Index of the last bucket hit: latencies cluster, so the next one is often the same. */
  private last = 0;

  /** Adds one observation to bucket `key`; returns true when the bucket is new. */
  increment(key: number): boolean {
    const { keys } = this;
    let index = this.last;
    if (index < this.size && keys[index] === key) {
      this.counts[index]! += 1;
      return false;
    }
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid]! < key) lo = mid + 1;
      else hi = mid;
    }
    index = lo;
    this.last = index;
    if (index < this.size && keys[index] === key) {
      this.counts[index]! += 1;
      return false;
    }
    if (this.size === keys.length) this.grow();
    this.keys.copyWithin(index + 1, index, this.size);
    this.counts.copyWithin(index + 1, index, this.size);
    this.keys[index] = key;
    this.counts[index] = 1;
    this.size += 1;
    return true;
  }

  /** Merges pairs of buckets into the buckets of schema - 1: key k goes to ceil(k / 2). */
  halveResolution(): void {
    const { keys, counts } = this;
    let out = -1;
    for (let i = 0; i < this.size; i += 1) {
      const merged = Math.ceil(keys[i]! / 2);
      if (out >= 0 && keys[out] === merged) {
        counts[out]! += counts[i]!;
      } else {
        out += 1;
        keys[out] = merged;
        counts[out] = counts[i]!;
      }
    }
    this.size = out + 1;
    this.last = 0;
  }

  clear(): void {
    this.size = 0;
    this.last = 0;
  }

  private grow(): void {
    const keys = new Int32Array(this.keys.length * 2);
    const counts = new Float64Array(this.counts.length * 2);
    keys.set(this.keys);
    counts.set(this.counts);
    this.keys = keys;
    this.counts = counts;
  }
}

export interface ExponentialOptions {
  /** Largest growth factor between neighbouring bucket boundaries (default 1.1: schema 3). */
  bucketFactor?: number;
  /** Observations with an absolute value at most this go to the zero bucket. */
  zeroThreshold?: number;
  /** Most populated buckets before the resolution is halved (default 160). */
  bucketLimit?: number;
}

/** One series' native histogram. */
export class ExponentialHistogram {
  schema: number;
  readonly initialSchema: number;
  zeroCount = 0;
  readonly positive = new SparseBuckets();
  readonly negative = new SparseBuckets();
  readonly zeroThreshold: number;
  private readonly limit: number;

  constructor(schema: number, zeroThreshold: number, limit: number) {
    this.schema = schema;
    this.initialSchema = schema;
    this.zeroThreshold = zeroThreshold;
    this.limit = limit;
  }

  observe(value: number): void {
    let added: boolean;
    if (value > this.zeroThreshold) added = this.positive.increment(bucketKey(this.schema, value));
    else if (value < -this.zeroThreshold) added = this.negative.increment(bucketKey(this.schema, -value));
    else {
      if (!Number.isNaN(value)) this.zeroCount += 1; // NaN goes in no bucket; count and sum carry it
      return;
    }
    // As client_golang: past the limit, halve the resolution once per new bucket.
    if (added && this.limit > 0 && this.positive.size + this.negative.size > this.limit && this.schema > MIN_SCHEMA) {
      this.schema -= 1;
      this.positive.halveResolution();
      this.negative.halveResolution();
    }
  }

  reset(schema: number): void {
    this.schema = schema;
    this.zeroCount = 0;
    this.positive.clear();
    this.negative.clear();
  }
}

export interface Spans {
  spans: { offset: number; length: number }[];
  deltas: number[];
}

/**
 * Spans and count deltas for the protobuf exposition. Gaps of one or two empty buckets are
 * filled with zeros rather than opening a new span, as client_golang does (cheaper to encode).
 */
export function spansOf(buckets: SparseBuckets): Spans {
  const spans: Spans['spans'] = [];
  const deltas: number[] = [];
  let previousKey = 0;
  let previousCount = 0;
  for (let i = 0; i < buckets.size; i += 1) {
    const key = buckets.keys[i]!;
    const count = buckets.counts[i]!;
    const gap = i === 0 ? 0 : key - previousKey - 1;
    if (i === 0) {
      spans.push({ offset: key, length: 1 });
    } else if (gap <= 2) {
      for (let g = 0; g < gap; g += 1) {
        deltas.push(0 - previousCount);
        previousCount = 0;
      }
      spans[spans.length - 1]!.length += gap + 1;
    } else {
      spans.push({ offset: gap, length: 1 });
    }
    deltas.push(count - previousCount);
    previousKey = key;
    previousCount = count;
  }
  return { spans, deltas };
}
