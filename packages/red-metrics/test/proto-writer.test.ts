// The hand-written protobuf encoder against protobufjs, the reference: every wire type at the
// edges of its encoding, nested lengths that need more than one byte, buffers that must grow,
// and whole Metric messages of the RED metrics in shapes the endpoint specs do not reach.
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { CounterFamily } from '../src/counter-family.ts';
import { DurationHistogram } from '../src/duration-histogram.ts';
import type { Exposition, RenderContext } from '../src/exposition.ts';
import { ProtoWriter, varintSize } from '../src/proto-writer.ts';
import { referenceMetrics } from './support/reference-proto-metrics.ts';

const root = protobuf.loadSync(fileURLToPath(new URL('../src/proto/metrics.proto', import.meta.url)));
const MetricFamily = root.lookupType('io.prometheus.client.MetricFamily');

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** Both writers fed the same calls, in a tiny first buffer so that ours has to grow. */
function same(write: (ours: ProtoWriter, theirs: protobuf.Writer) => void): void {
  const ours = new ProtoWriter(4);
  const theirs = protobuf.Writer.create();
  write(ours, theirs);
  expect(hex(ours.take(true))).to.equal(hex(theirs.finish()));
}

describe('metrics/proto-writer: the encoder against protobufjs', () => {
  const edges = [0, 1, 127, 128, 255, 16_383, 16_384, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 35 + 5, 2 ** 53 - 1];

  it('writes unsigned varints at every length boundary up to 2^53', () => {
    for (const value of edges) {
      same((ours, theirs) => {
        ours.uint(1, value);
        theirs.uint32(8).uint64(value);
      });
      expect(varintSize(value), `${value}`).to.equal(protobuf.Writer.create().uint64(value).finish().length);
    }
  });

  it('writes signed int64 (negative: ten bytes) and zigzag sint64 on both sides of zero', () => {
    for (const magnitude of edges) {
      for (const value of [magnitude, -magnitude]) {
        same((ours, theirs) => {
          ours.int(2, value);
          theirs.uint32(16).int64(value);
        });
        same((ours, theirs) => {
          ours.sint(3, value);
          theirs.uint32(24).sint64(value);
        });
      }
    }
    same((ours, theirs) => {
      ours.sint(5, -4); // a schema: sint32
      theirs.uint32(40).sint32(-4);
    });
  });

  it('writes doubles, non-finite ones and -0 included', () => {
    for (const value of [0, -0, 0.1, -1.5e300, 5e-324, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      same((ours, theirs) => {
        ours.double(2, value);
        theirs.uint32(17).double(value);
      });
    }
  });

  it('writes strings as UTF-8: empty, ASCII, multi-byte, surrogate pairs, past 127 and 16383 bytes', () => {
    for (const value of ['', 'route', '/é/😀/:id', 'a"\\\n', 'x'.repeat(128), `é${'y'.repeat(200)}`, '😀'.repeat(5_000)]) {
      same((ours, theirs) => {
        ours.string(1, value);
        theirs.uint32(10).string(value);
      });
    }
  });

  it('patches nested lengths of 0, 127, 128 and 20 000 bytes, moving the content up when the length needs more bytes', () => {
    for (const size of [0, 1, 126, 127, 128, 16_383, 20_000]) {
      const filler = 'z'.repeat(size);
      same((ours, theirs) => {
        const outer = ours.begin(4);
        const inner = ours.begin(1);
        if (size > 0) ours.string(2, filler.slice(0, Math.max(0, size - 3)));
        ours.end(inner);
        ours.double(2, 1);
        ours.end(outer);
        theirs.uint32(34).fork().uint32(10).fork();
        if (size > 0) theirs.uint32(18).string(filler.slice(0, Math.max(0, size - 3)));
        theirs.ldelim().uint32(17).double(1).ldelim();
      });
    }
  });

  it('hands over what it wrote and goes on in a fresh buffer', () => {
    const writer = new ProtoWriter(8);
    writer.uint(1, 300);
    const first = writer.take();
    writer.uint(1, 1);
    expect(hex(first)).to.equal('08ac02');
    expect(hex(writer.take(true))).to.equal('0801');
  });
});

/** One family: our writer's series after protobufjs' header, against protobufjs encoding it all. */
function familyBytes(exposition: Exposition, context: RenderContext) {
  const ours = new ProtoWriter(16);
  exposition.encodeSeries(ours, 0, exposition.seriesCount, context);
  const header = MetricFamily.encode({
    name: exposition.name,
    help: exposition.help,
    type: exposition.type === 'counter' ? 0 : 4,
  }).finish();
  const expected = MetricFamily.encode({
    name: exposition.name,
    help: exposition.help,
    type: exposition.type === 'counter' ? 0 : 4,
    metric: referenceMetrics(exposition, context),
  }).finish();
  return { actual: hex(Buffer.concat([header, ours.take(true)])), expected: hex(expected) };
}

describe('metrics/proto-writer: Metric messages of the RED metrics', () => {
  const context: RenderContext = {
    defaultLabels: [
      { name: 'region', value: 'eu-1' },
      { name: 'method', value: 'shadowed' },
    ],
  };
  const trace = { traceId: 'f'.repeat(32), spanId: 'e'.repeat(16) };

  it('encodes histograms with counts past 2^32, negative and zero observations, wide spans and every kind of exemplar', () => {
    let now = 1_765_000_000_123.5;
    const histogram = new DurationHistogram({
      name: 'd',
      help: 'é',
      labelNames: ['method'],
      buckets: [0.005, 0.1, 1, 10],
      native: { bucketLimit: 0 },
      clock: () => now,
    });
    const wide = histogram.series(['GET']);
    for (const value of [-3, -0.5, 0, 1e-9, 0.004, 0.2, 0.21, 5, 1e6, 12, Number.NaN]) wide.observe(value, trace, (now += 1));
    wide.data[1]! += 2 ** 33; // counts and a sum past 32 bits
    wide.data[wide.data.length - 1]! += 2 ** 33;
    histogram.series(['_OTHER']); // empty: the marker span
    histogram.series(['POST']).observe(20, trace); // an exemplar above the last bound: an explicit +Inf bucket
    const { actual, expected } = familyBytes(histogram, context);
    expect(actual).to.equal(expected);
  });

  it('encodes classic-only histograms and counters, with and without exemplars and default labels', () => {
    const histogram = new DurationHistogram({ name: 'c', help: 'h', labelNames: ['method', 'route'], buckets: [1], clock: () => 0 });
    histogram.series(['GET', '/é']).observe(0.5, trace, 1_000);
    histogram.series(['PUT', '']).observe(3);
    expect(familyBytes(histogram, context).actual).to.equal(familyBytes(histogram, context).expected);
    expect(familyBytes(histogram, { defaultLabels: [] }).actual).to.equal(familyBytes(histogram, { defaultLabels: [] }).expected);

    const counter = new CounterFamily({ name: 'n_total', help: 'h', labelNames: ['method'], clock: () => 1_765_000_000_500 });
    counter.increment(counter.series(['GET']), trace, 1_765_000_000_999);
    counter.series(['POST']).inc(2 ** 40 + 0.25);
    const unlabelled = new CounterFamily({ name: 'u_total', help: '', labelNames: [], clock: () => 0 });
    unlabelled.series([]);
    for (const family of [counter, unlabelled]) {
      const { actual, expected } = familyBytes(family, context);
      expect(actual).to.equal(expected);
    }
  });
});
