// The protobuf encoder of the messages a scrape writes per series (metrics.proto's Metric, with
// its Counter or Histogram): fields written straight into one growing buffer, in field-number
// order and with the presence rules protobufjs applies, so the bytes are exactly protobufjs'
// for the same message (test: proto-writer.test.ts and the byte-identity specs of the endpoint).
// protobufjs' own Writer queues an operation object per field and copies them out at the end;
// at 100k series that garbage was most of a protobuf scrape's CPU and of the GC pauses it
// caused (docs/benchmarks.md). protobufjs still loads the schema, decodes, and encodes the
// few families prom-client holds.
import type { LabelPair } from './exposition.ts';
import type { Exemplar } from './trace-context.ts';

const VARINT = 0;
const FIXED64 = 1;
const DELIMITED = 2;

/** Bytes of `value` (a non-negative integer up to 2^53) as a varint. */
export function varintSize(value: number): number {
  let size = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    size += 1;
  }
  return size;
}

const EMPTY = Buffer.alloc(0);

export class ProtoWriter {
  private buffer: Buffer;
  private view: DataView;
  private position = 0;
  private readonly capacity: number;

  /** `capacity`: the first buffer's size, and each fresh one's after take(). */
  constructor(capacity = 64 * 1024) {
    this.capacity = capacity;
    this.buffer = Buffer.allocUnsafeSlow(capacity);
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
  }

  /** Bytes written since the last take(). */
  get length(): number {
    return this.position;
  }

  /** The bytes written so far, handed over; the writer goes on in a fresh buffer unless `last`. */
  take(last = false): Buffer {
    const written = this.buffer.subarray(0, this.position);
    this.buffer = last ? EMPTY : Buffer.allocUnsafeSlow(this.capacity);
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
    this.position = 0;
    return written;
  }

  private ensure(bytes: number): void {
    const needed = this.position + bytes;
    if (needed <= this.buffer.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(needed, this.buffer.length * 2));
    this.buffer.copy(grown, 0, 0, this.position);
    this.buffer = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }

  /** An unsigned varint: a non-negative integer up to 2^53 (uint32, uint64, and int32/int64 >= 0). */
  private varint(value: number): void {
    this.ensure(10);
    const buffer = this.buffer;
    let position = this.position;
    if (value < 0x80000000) {
      while (value > 0x7f) {
        buffer[position++] = (value & 0x7f) | 0x80;
        value >>>= 7;
      }
    } else {
      while (value > 0x7f) {
        buffer[position++] = (value % 128) | 0x80;
        value = Math.floor(value / 128);
      }
    }
    buffer[position++] = value;
    this.position = position;
  }

  private tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  /** uint32 / uint64 (counts, lengths). */
  uint(field: number, value: number): void {
    this.tag(field, VARINT);
    this.varint(value);
  }

  /** int32 / int64: a negative value takes ten bytes, its 64-bit two's complement. */
  int(field: number, value: number): void {
    this.tag(field, VARINT);
    if (value >= 0) this.varint(value);
    else this.bigVarint(BigInt.asUintN(64, BigInt(Math.trunc(value))));
  }

  /** sint32 / sint64: zigzag, so small negative numbers stay short. */
  sint(field: number, value: number): void {
    this.tag(field, VARINT);
    // 2|v| + 1 is exact in a double only below 2^52.
    if (Math.abs(value) < 2 ** 52) this.varint(value >= 0 ? value * 2 : -value * 2 - 1);
    else this.bigVarint(BigInt.asUintN(64, (BigInt(value) << 1n) ^ (value < 0 ? -1n : 0n)));
  }

  private bigVarint(bits: bigint): void {
    this.ensure(10);
    while (bits > 0x7fn) {
      this.buffer[this.position++] = Number(bits & 0x7fn) | 0x80;
      bits >>= 7n;
    }
    this.buffer[this.position++] = Number(bits);
  }

  double(field: number, value: number): void {
    this.tag(field, FIXED64);
    this.ensure(8);
    this.view.setFloat64(this.position, value, true);
    this.position += 8;
  }

  /** A string as UTF-8; ASCII (label names, most values) is copied without a native call. */
  string(field: number, value: string): void {
    this.tag(field, DELIMITED);
    const start = this.position;
    const count = value.length;
    this.varint(count);
    this.ensure(count);
    const buffer = this.buffer;
    let position = this.position;
    for (let i = 0; i < count; i += 1) {
      const code = value.charCodeAt(i);
      if (code >= 0x80) {
        this.position = start;
        this.utf8(value);
        return;
      }
      buffer[position++] = code;
    }
    this.position = position;
  }

  private utf8(value: string): void {
    const bytes = Buffer.byteLength(value);
    this.varint(bytes);
    this.ensure(bytes);
    this.position += this.buffer.write(value, this.position, bytes, 'utf8');
  }

  /** Bytes encoded earlier and kept as a one-byte string (bytes()'s output), copied as they are. */
  raw(bytes: string): void {
    const count = bytes.length;
    this.ensure(count);
    const buffer = this.buffer;
    let position = this.position;
    for (let i = 0; i < count; i += 1) buffer[position++] = bytes.charCodeAt(i);
    this.position = position;
  }

  /** The bytes written so far as a one-byte string (cheaper to keep than a Buffer), and a fresh start in the same buffer. */
  takeBytes(): string {
    const bytes = this.buffer.toString('latin1', 0, this.position);
    this.position = 0;
    return bytes;
  }

  /** The key and length of an embedded message whose size is known up front. */
  embedded(field: number, length: number): void {
    this.tag(field, DELIMITED);
    this.varint(length);
  }

  /** Opens an embedded message: returns where it starts, for end(). */
  begin(field: number): number {
    this.tag(field, DELIMITED);
    this.ensure(1);
    return this.position++; // one byte for the length: most messages here are shorter than 128
  }

  /** Closes the message begin() opened, writing its length (moving it up if that takes more than a byte). */
  end(start: number): void {
    const length = this.position - start - 1;
    if (length < 128) {
      this.buffer[start] = length;
      return;
    }
    const extra = varintSize(length) - 1;
    this.ensure(extra);
    this.buffer.copyWithin(start + 1 + extra, start + 1, this.position);
    const end = this.position + extra;
    this.position = start;
    this.varint(length);
    this.position = end;
  }
}

/** Field numbers of metrics.proto (io.prometheus.client) and google.protobuf.Timestamp. */
export const FIELD = {
  familyMetric: 4,
  metricLabel: 1,
  metricCounter: 3,
  metricHistogram: 7,
  labelName: 1,
  labelValue: 2,
  counterValue: 1,
  counterExemplar: 2,
  counterCreated: 3,
  histogramCount: 1,
  histogramSum: 2,
  histogramBucket: 3,
  histogramSchema: 5,
  histogramZeroThreshold: 6,
  histogramZeroCount: 7,
  histogramNegativeSpan: 9,
  histogramNegativeDelta: 10,
  histogramPositiveSpan: 12,
  histogramPositiveDelta: 13,
  histogramCreated: 15,
  histogramExemplars: 16,
  bucketCumulativeCount: 1,
  bucketUpperBound: 2,
  bucketExemplar: 3,
  spanOffset: 1,
  spanLength: 2,
  exemplarLabel: 1,
  exemplarValue: 2,
  exemplarTimestamp: 3,
  timestampSeconds: 1,
  timestampNanos: 2,
} as const;

const scratch = new ProtoWriter(1024);

/**
 * LabelPair messages as `field`s of their parent, encoded once: a series keeps its own (they
 * never change), a render encodes the default labels once for all series.
 */
export function labelFields(field: number, pairs: readonly LabelPair[]): string {
  for (const pair of pairs) writeLabel(scratch, field, pair.name, pair.value);
  return scratch.takeBytes();
}

/** A classic Bucket; without an exemplar (the usual case) its size is known, so it is written in one go. */
export function writeBucket(writer: ProtoWriter, field: number, cumulativeCount: number, upperBound: number, exemplar?: Exemplar): void {
  if (!exemplar) {
    writer.embedded(field, 10 + varintSize(cumulativeCount));
    writer.uint(FIELD.bucketCumulativeCount, cumulativeCount);
    writer.double(FIELD.bucketUpperBound, upperBound);
    return;
  }
  const bucket = writer.begin(field);
  writer.uint(FIELD.bucketCumulativeCount, cumulativeCount);
  writer.double(FIELD.bucketUpperBound, upperBound);
  writeExemplar(writer, FIELD.bucketExemplar, exemplar);
  writer.end(bucket);
}

function writeLabel(writer: ProtoWriter, field: number, name: string, value: string): void {
  const label = writer.begin(field);
  writer.string(FIELD.labelName, name);
  writer.string(FIELD.labelValue, value);
  writer.end(label);
}

/**
 * A google.protobuf.Timestamp of epoch milliseconds. Timestamp is a proto3 message: a zero
 * field is not written (protobufjs and Go alike).
 */
export function writeTimestamp(writer: ProtoWriter, field: number, milliseconds: number): void {
  const seconds = Math.floor(milliseconds / 1000);
  const nanos = Math.round((milliseconds - seconds * 1000) * 1e6);
  const timestamp = writer.begin(field);
  if (seconds !== 0) writer.int(FIELD.timestampSeconds, seconds);
  if (nanos !== 0) writer.int(FIELD.timestampNanos, nanos);
  writer.end(timestamp);
}

/** An Exemplar message: the trace and span ids, the value, when it was taken. */
export function writeExemplar(writer: ProtoWriter, field: number, exemplar: Exemplar): void {
  const message = writer.begin(field);
  writeLabel(writer, FIELD.exemplarLabel, 'trace_id', exemplar.traceId);
  writeLabel(writer, FIELD.exemplarLabel, 'span_id', exemplar.spanId);
  writer.double(FIELD.exemplarValue, exemplar.value);
  writeTimestamp(writer, FIELD.exemplarTimestamp, exemplar.at);
  writer.end(message);
}
