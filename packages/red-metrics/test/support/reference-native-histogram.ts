// An independent reference for the golden tests: client_golang's histogram
// (prometheus/histogram.go) restated as plainly as possible, sharing no code with
// service/src/metrics. Slow on purpose: Maps, loops, Math.* instead of bit tricks.
// Single-threaded, so client_golang's hot/cold count swapping reduces to plain updates; its
// timer for the scheduled reset is modelled by `fireDueReset`, which the caller runs at the
// times the timer would have fired (before each observation and read).

/** Go's math.Exp2 (the exp2 of Go's math package: reduction by ln 2, fdlibm's polynomial). */
export function goExp2(x: number): number {
  // fdlibm's constants, written as the shortest decimals of the same doubles.
  const ln2Hi = 0.6931471803691238;
  const ln2Lo = 1.9082149292705877e-10;
  const p1 = 0.16666666666666666;
  const p2 = -0.0027777777777015593;
  const p3 = 6.613756321437934e-5;
  const p4 = -1.6533902205465252e-6;
  const p5 = 4.1381367970572385e-8;
  let k = 0;
  if (x > 0) k = Math.trunc(x + 0.5);
  if (x < 0) k = Math.trunc(x - 0.5);
  const t = x - k;
  const hi = t * ln2Hi;
  const lo = -t * ln2Lo;
  const r = hi - lo;
  const rr = r * r;
  const c = r - rr * (p1 + rr * (p2 + rr * (p3 + rr * (p4 + rr * p5))));
  const y = 1 - (lo - (r * c) / (2 - c) - hi);
  return y * 2 ** k; // |k| is small here: exact
}

/**
 * The bounds table as client_golang's comment generates it: row 0 is [0.5]; in row s, an
 * even entry j is row s-1's entry j/2, an odd entry is the entry before it times
 * Exp2(Exp2(-s)).
 */
export function deriveBoundsTable(): number[][] {
  const table: number[][] = [[0.5]];
  for (let schema = 1; schema <= 8; schema += 1) {
    const factor = goExp2(goExp2(-schema));
    const row: number[] = [];
    for (let j = 0; j < 2 ** schema; j += 1) {
      row.push(j % 2 === 0 ? table[schema - 1]![j / 2]! : row[j - 1]! * factor);
    }
    table.push(row);
  }
  return table;
}

const BOUNDS = deriveBoundsTable();

/** value × 2^power, in steps small enough that each is exact (or a single final rounding). */
function timesPowerOfTwo(value: number, power: number): number {
  let result = value;
  let left = power;
  while (left > 500) {
    result *= 2 ** 500;
    left -= 500;
  }
  while (left < -500) {
    result *= 2 ** -500;
    left += 500;
  }
  return result * 2 ** left;
}

/** Go's math.Frexp for a positive finite value: value = frac × 2^exp, frac in [0.5, 1). */
export function frexp(value: number): { frac: number; exp: number } {
  if (!(value > 0 && value < Number.POSITIVE_INFINITY)) throw new RangeError(`frexp of ${value}: positive finite values only`);
  let exp = Math.floor(Math.log2(value)) + 1;
  let frac = timesPowerOfTwo(value, -exp);
  while (frac >= 1) {
    frac /= 2;
    exp += 1;
  }
  while (frac < 0.5) {
    frac *= 2;
    exp -= 1;
  }
  return { frac, exp };
}

/** The native bucket key of a non-NaN value's absolute value (±Inf: the overflow bucket). */
export function referenceKey(schema: number, value: number): number {
  let v = Math.abs(value);
  const isInf = v === Number.POSITIVE_INFINITY;
  if (isInf) v = Number.MAX_VALUE;
  const { frac, exp } = frexp(v);
  let key: number;
  if (schema > 0) {
    const bounds = BOUNDS[schema]!;
    let index = 0; // sort.SearchFloat64s: the first bound >= frac
    while (index < bounds.length && bounds[index]! < frac) index += 1;
    key = index + (exp - 1) * bounds.length;
  } else {
    key = frac === 0.5 ? exp - 1 : exp;
    key = Math.ceil(key / 2 ** -schema);
  }
  return isInf ? key + 1 : key;
}

/** Go's getLe: the upper bound of bucket `key`. */
export function referenceUpperBound(schema: number, key: number): number {
  if (schema < 0) {
    const exp = key * 2 ** -schema;
    return exp === 1024 ? Number.MAX_VALUE : timesPowerOfTwo(1, exp);
  }
  const perPower = 2 ** schema;
  const fracIndex = ((key % perPower) + perPower) % perPower;
  const frac = BOUNDS[schema]![fracIndex]!;
  const exp = Math.floor(key / perPower) + 1;
  if (frac === 0.5 && exp === 1025) return Number.MAX_VALUE;
  return timesPowerOfTwo(frac, exp);
}

export interface ReferenceOptions {
  classicBounds: number[];
  schema: number;
  /** client_golang's NativeHistogramZeroThreshold after its defaulting (>= 0). */
  zeroThreshold: number;
  maxBuckets: number;
  maxZeroThreshold: number;
  minResetDuration: number;
  now: () => number;
}

export interface Snapshot {
  count: number;
  sum: number;
  /** Non-cumulative classic counts, the last one above the highest bound. */
  classic: number[];
  schema: number;
  zeroThreshold: number;
  zeroCount: number;
  positive: [number, number][];
  negative: [number, number][];
  lastResetTime: number;
}

export class ReferenceHistogram {
  private readonly options: ReferenceOptions;
  count = 0;
  sum = 0;
  classic: number[];
  schema: number;
  zeroThreshold: number;
  zeroCount = 0;
  positive = new Map<number, number>();
  negative = new Map<number, number>();
  lastResetTime: number;
  resetScheduledAt: number | undefined;
  /** How often each strategy ran: the tests check that every one was exercised. */
  readonly applied = { reset: 0, scheduledReset: 0, widen: 0, halve: 0 };

  constructor(options: ReferenceOptions) {
    this.options = options;
    this.classic = new Array(options.classicBounds.length + 1).fill(0);
    this.schema = options.schema;
    this.zeroThreshold = options.zeroThreshold;
    this.lastResetTime = options.now();
  }

  private resetCounts(): void {
    this.count = 0;
    this.sum = 0;
    this.classic.fill(0);
    this.schema = this.options.schema;
    this.zeroThreshold = this.options.zeroThreshold;
    this.zeroCount = 0;
    this.positive.clear();
    this.negative.clear();
  }

  /** What client_golang's timer does when the scheduled reset falls due. */
  fireDueReset(): void {
    if (this.resetScheduledAt !== undefined && this.resetScheduledAt <= this.options.now()) {
      this.resetCounts();
      this.applied.scheduledReset += 1;
      this.lastResetTime = this.resetScheduledAt;
      this.resetScheduledAt = undefined;
    }
  }

  private findBucket(v: number): number {
    const bounds = this.options.classicBounds;
    for (let i = 0; i < bounds.length; i += 1) if (v <= bounds[i]!) return i;
    return bounds.length; // NaN and everything above
  }

  private countsObserve(v: number): void {
    this.classic[this.findBucket(v)]! += 1;
    this.sum += v;
    if (!Number.isNaN(v)) {
      // client_golang computes the key first; zero has none here (frexp(0) is no power of two).
      const key = () => referenceKey(this.schema, v);
      const signed = Math.abs(v) === Number.POSITIVE_INFINITY ? Math.sign(v) * Number.MAX_VALUE : v;
      if (signed > this.zeroThreshold) this.positive.set(key(), (this.positive.get(key()) ?? 0) + 1);
      else if (signed < -this.zeroThreshold) this.negative.set(key(), (this.negative.get(key()) ?? 0) + 1);
      else this.zeroCount += 1;
    }
    this.count += 1;
  }

  observe(v: number): void {
    this.countsObserve(v);
    if (!Number.isNaN(v)) this.limitBuckets(v);
  }

  private limitBuckets(v: number): void {
    const { maxBuckets, minResetDuration } = this.options;
    if (maxBuckets === 0) return;
    if (this.positive.size + this.negative.size <= maxBuckets) return;
    // (a) reset
    const now = this.options.now();
    if (minResetDuration > 0 && this.resetScheduledAt === undefined && now - this.lastResetTime >= minResetDuration) {
      this.resetCounts();
      this.countsObserve(v); // the latest observation is kept
      this.lastResetTime = now;
      this.applied.reset += 1;
      return;
    }
    if (minResetDuration > 0 && this.resetScheduledAt === undefined) this.resetScheduledAt = this.lastResetTime + minResetDuration;
    // (b) widen the zero bucket
    if (this.maybeWidenZeroBucket()) {
      this.applied.widen += 1;
      return;
    }
    // (c) halve the resolution
    if (this.schema === -4) return;
    this.schema -= 1;
    this.applied.halve += 1;
    for (const buckets of [this.positive, this.negative]) {
      const merged = new Map<number, number>();
      for (const [key, count] of buckets) {
        const wider = key > 0 ? Math.trunc((key + 1) / 2) : Math.trunc(key / 2);
        merged.set(wider, (merged.get(wider) ?? 0) + count);
      }
      buckets.clear();
      for (const [key, count] of merged) buckets.set(key, count);
    }
  }

  private maybeWidenZeroBucket(): boolean {
    if (this.zeroThreshold >= this.options.maxZeroThreshold) return false;
    const keys = [...this.positive.keys(), ...this.negative.keys()];
    if (keys.length === 0) return false;
    const smallest = Math.min(...keys);
    const threshold = referenceUpperBound(this.schema, smallest);
    if (threshold > this.options.maxZeroThreshold) return false;
    this.zeroThreshold = threshold;
    for (const buckets of [this.positive, this.negative]) {
      const count = buckets.get(smallest);
      if (count !== undefined) {
        this.zeroCount += count;
        buckets.delete(smallest);
      }
    }
    return true;
  }

  snapshot(): Snapshot {
    const sorted = (buckets: Map<number, number>) => [...buckets.entries()].sort((a, b) => a[0] - b[0]);
    return {
      count: this.count,
      sum: this.sum,
      classic: [...this.classic],
      schema: this.schema,
      zeroThreshold: this.zeroThreshold,
      zeroCount: this.zeroCount,
      positive: sorted(this.positive),
      negative: sorted(this.negative),
      lastResetTime: this.lastResetTime,
    };
  }
}

/** The next float above `value` (Float64 bits + 1 toward +Inf). */
export function nextUp(value: number): number {
  if (Number.isNaN(value) || value === Number.POSITIVE_INFINITY) return value;
  if (value === 0) return Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const bits = view.getBigUint64(0);
  view.setBigUint64(0, value > 0 ? bits + 1n : bits - 1n);
  return view.getFloat64(0);
}

/** The next float below `value`. */
export function nextDown(value: number): number {
  return -nextUp(-value);
}
