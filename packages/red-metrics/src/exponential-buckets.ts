// Exponential (native) histogram buckets, the same as the reference client's
// (prometheus/client_golang, prometheus/histogram.go): the boundaries within a power of two come
// from its table (native-histogram-bounds.ts), ±Inf have an overflow bucket of their own (the
// key of the largest float, plus one), NaN goes in no bucket, and past the bucket limit the
// histogram widens its zero bucket (up to maxZeroThreshold) or else halves its resolution,
// once per observation. The reset strategy, which needs the whole series and a clock, is the
// series' (duration-histogram.ts).
// Storage is sparse: sorted Int32Array keys and Float64Array counts per sign, growing by
// doubling; a bucket limit bounds the number of populated buckets to about the limit (the
// lowest resolution, schema -4, cannot shrink further).
import { NATIVE_HISTOGRAM_BOUNDS } from './native-histogram-bounds.ts';

export const MIN_SCHEMA = -4;
export const MAX_SCHEMA = 8;
/** client_golang's DefNativeHistogramZeroThreshold: 2^-128, a boundary at every schema. */
export const DEFAULT_ZERO_THRESHOLD = 2 ** -128;
export const DEFAULT_BUCKET_FACTOR = 1.1;
/**
 * redline's default, not client_golang's (0: unlimited). Request durations depend on what
 * clients do, and client_golang advises a limit for such inputs; 160 is OpenTelemetry's
 * default size, and at schema 3 spans 20 powers of two (about 1 µs to 1 s).
 */
export const DEFAULT_BUCKET_LIMIT = 160;

/** The highest resolution whose bucket growth factor, 2^(2^-schema), is at most `factor`. */
export function schemaForFactor(factor: number): number {
  if (!(factor > 1)) throw new RangeError(`bucket factor must be > 1 (got ${factor})`);
  const floor = Math.floor(Math.log2(Math.log2(factor)));
  if (floor <= -MAX_SCHEMA) return MAX_SCHEMA;
  if (floor >= -MIN_SCHEMA) return MIN_SCHEMA;
  return -floor;
}

/** fraction × 2^exponent with a single rounding, also when the result is subnormal or huge. */
function scaleByPowerOfTwo(fraction: number, exponent: number): number {
  if (exponent > 1000) return fraction * 2 ** 1000 * 2 ** (exponent - 1000);
  if (exponent < -1000) return fraction * 2 ** (exponent + 1000) * 2 ** -1000;
  return fraction * 2 ** exponent;
}

/**
 * Upper bound of bucket `key` at `schema`, from the same table as the keys. The last bucket of
 * finite values ends at the largest float (its computed bound would be 2^1024, +Inf, which
 * belongs to the overflow bucket above it).
 */
export function bucketUpperBound(schema: number, key: number): number {
  if (schema <= 0) {
    const exponent = key * 2 ** -schema;
    return exponent === 1024 ? Number.MAX_VALUE : scaleByPowerOfTwo(1, exponent);
  }
  const perPower = 2 ** schema;
  const index = key - Math.floor(key / perPower) * perPower;
  const fraction = NATIVE_HISTOGRAM_BOUNDS[schema]![index]!;
  const exponent = Math.floor(key / perPower) + 1;
  if (fraction === 0.5 && exponent === 1025) return Number.MAX_VALUE;
  return scaleByPowerOfTwo(fraction, exponent);
}

// frexp: the binary exponent and the fraction in [0.5, 1), read from the IEEE 754 bits.
const scratch = new Float64Array(1);
const words = new Uint32Array(scratch.buffer); // little-endian: words[1] holds sign and exponent
const BIG_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 0;
const HIGH = BIG_ENDIAN ? 0 : 1;

/**
 * The bucket key of a positive value, +Inf included: bucket k holds (bound(k-1), bound(k)].
 * +Inf gets the key of the largest float plus one, a bucket of its own.
 */
export function bucketKey(schema: number, value: number): number {
  if (value === Number.POSITIVE_INFINITY) return bucketKey(schema, Number.MAX_VALUE) + 1;
  scratch[0] = value;
  let high = words[HIGH]!;
  let exponent = (high >>> 20) & 0x7ff;
  let shift = 0;
  if (exponent === 0) {
    // Subnormal: scale into the normal range first (exact: a power of two).
    scratch[0] = value * 2 ** 64;
    high = words[HIGH]!;
    exponent = (high >>> 20) & 0x7ff;
    shift = 64;
  }
  const exp = exponent - 1022 - shift; // value = fraction * 2^exp
  words[HIGH] = (high & 0x800fffff) | 0x3fe00000;
  const fraction = scratch[0]!; // in [0.5, 1)
  if (schema > 0) {
    const bounds = NATIVE_HISTOGRAM_BOUNDS[schema]!;
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
  return (key + offset) >> -schema; // ceil(key / 2^-schema)
}

/** One sign's populated buckets: sorted keys and their counts. */
export class SparseBuckets {
  keys = new Int32Array(8);
  counts = new Float64Array(8);
  size = 0;
  /** Index of the last bucket hit: latencies cluster, so the next one is often the same. */
  private last = 0;

  /** Adds one observation to bucket `key`. */
  increment(key: number): void {
    const { keys } = this;
    let index = this.last;
    if (index < this.size && keys[index] === key) {
      this.counts[index]! += 1;
      return;
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
      return;
    }
    if (this.size === keys.length) this.grow();
    this.keys.copyWithin(index + 1, index, this.size);
    this.counts.copyWithin(index + 1, index, this.size);
    this.keys[index] = key;
    this.counts[index] = 1;
    this.size += 1;
  }

  /** Removes the bucket of `key` if populated; returns its count (0 if it was not). */
  remove(key: number): number {
    for (let i = 0; i < this.size; i += 1) {
      if (this.keys[i] !== key) continue;
      const count = this.counts[i]!;
      this.keys.copyWithin(i, i + 1, this.size);
      this.counts.copyWithin(i, i + 1, this.size);
      this.size -= 1;
      this.last = 0;
      return count;
    }
    return 0;
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
  /**
   * Observations with an absolute value at most this go to the zero bucket (default 2^-128).
   * 0 or any negative value: only exact zeros (client_golang spells this -1; its 0 means the
   * default, redline's 0 keeps its earlier meaning).
   */
  zeroThreshold?: number;
  /** Most populated buckets (both signs) before a limit strategy applies (default 160; 0: no limit). */
  bucketLimit?: number;
  /**
   * Past the bucket limit, the zero bucket may widen to absorb the bucket closest to zero, up
   * to this threshold, before the resolution is halved (default 0: never).
   */
  maxZeroThreshold?: number;
  /**
   * Past the bucket limit, a series whose last reset (or creation) is at least this long ago
   * is reset instead, and then again this long after it first had to be reduced, so the full
   * resolution comes back. Milliseconds; default 0: never.
   */
  minResetDurationMs?: number;
}

/** The native histogram settings of a series, checked once (`nativeSettings`). */
export interface NativeSettings {
  schema: number;
  zeroThreshold: number;
  bucketLimit: number;
  maxZeroThreshold: number;
  minResetDurationMs: number;
}

function checkedNumber(name: string, value: number | undefined, fallback: number, valid: (value: number) => boolean, rule: string) {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !valid(value)) throw new RangeError(`nativeHistograms.${name} must be ${rule} (got ${value})`);
  return value;
}

/** Validated settings, defaults filled in; a bad value throws a RangeError naming its key. */
export function nativeSettings(options: ExponentialOptions): NativeSettings {
  const factor = checkedNumber('bucketFactor', options.bucketFactor, DEFAULT_BUCKET_FACTOR, (v) => v > 1, 'a number > 1');
  const threshold = checkedNumber('zeroThreshold', options.zeroThreshold, DEFAULT_ZERO_THRESHOLD, Number.isFinite, 'a finite number');
  return {
    schema: schemaForFactor(factor),
    zeroThreshold: Math.max(0, threshold),
    bucketLimit: checkedNumber(
      'bucketLimit',
      options.bucketLimit,
      DEFAULT_BUCKET_LIMIT,
      (v) => Number.isInteger(v) && v >= 0,
      'an integer >= 0',
    ),
    maxZeroThreshold: checkedNumber('maxZeroThreshold', options.maxZeroThreshold, 0, (v) => v >= 0 && v < Infinity, 'a finite number >= 0'),
    minResetDurationMs: checkedNumber(
      'minResetDurationMs',
      options.minResetDurationMs,
      0,
      (v) => v >= 0 && v < Infinity,
      'a finite number >= 0',
    ),
  };
}

/** One series' native histogram. */
export class ExponentialHistogram {
  schema: number;
  zeroThreshold: number;
  zeroCount = 0;
  readonly positive = new SparseBuckets();
  readonly negative = new SparseBuckets();
  readonly settings: NativeSettings;

  constructor(settings: NativeSettings) {
    this.settings = settings;
    this.schema = settings.schema;
    this.zeroThreshold = settings.zeroThreshold;
  }

  /** Counts a value in its bucket (NaN in none: count and sum carry it). */
  add(value: number): void {
    if (value > this.zeroThreshold) this.positive.increment(bucketKey(this.schema, value));
    else if (value < -this.zeroThreshold) this.negative.increment(bucketKey(this.schema, -value));
    else if (!Number.isNaN(value)) this.zeroCount += 1;
  }

  /** Whether more buckets are populated than the limit allows. */
  get overLimit(): boolean {
    const limit = this.settings.bucketLimit;
    return limit > 0 && this.positive.size + this.negative.size > limit;
  }

  /** The bucket-limit strategies that keep the counts: widen the zero bucket, else halve the resolution. */
  reduce(): void {
    if (!this.widenZeroBucket()) this.halveResolution();
  }

  /**
   * Moves the populated bucket closest to zero (of either sign) into the zero bucket, if the
   * threshold that takes stays within maxZeroThreshold. Returns whether it did.
   */
  widenZeroBucket(): boolean {
    const max = this.settings.maxZeroThreshold;
    if (this.zeroThreshold >= max) return false;
    const { positive, negative } = this;
    if (positive.size === 0 && negative.size === 0) return false;
    const smallest = Math.min(positive.size > 0 ? positive.keys[0]! : Infinity, negative.size > 0 ? negative.keys[0]! : Infinity);
    const threshold = bucketUpperBound(this.schema, smallest);
    if (threshold > max) return false;
    this.zeroThreshold = threshold;
    this.zeroCount += positive.remove(smallest) + negative.remove(smallest);
    return true;
  }

  /** Doubles the bucket width (schema - 1), down to schema -4. */
  halveResolution(): void {
    if (this.schema <= MIN_SCHEMA) return;
    this.schema -= 1;
    this.positive.halveResolution();
    this.negative.halveResolution();
  }

  /** Back to the initial schema and zero threshold, empty. */
  reset(): void {
    this.schema = this.settings.schema;
    this.zeroThreshold = this.settings.zeroThreshold;
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
