// The text lines of the families redline renders itself (line start and label suffix encoded
// once, the value's digits written in place) against prom-client formatting the same state
// through get(): series with and without labels, label values that need escaping or are not
// ASCII, values from zero to past 2^53, with and without registry default labels.
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { CounterFamily } from '../src/counter-family.ts';
import { DurationHistogram } from '../src/duration-histogram.ts';
import { serialRenderer } from '../src/endpoint.ts';
import { decodeProtobuf } from '../src/protobuf.ts';
import { defaultsSuffix, formatValue, LineStart, labelSuffix, TextWriter, withDefaults } from '../src/exposition.ts';
import { ODD_ROUTES } from './support/odd-routes.ts';

// And a long one.
const ROUTES = [...ODD_ROUTES, 'x'.repeat(300)];
// Counts written digit by digit, and the values around where that stops (unsafe integers, exponents, fractions).
const VALUES = [
  0,
  1,
  9,
  10,
  99,
  100,
  1234567,
  2 ** 31,
  2 ** 32 + 7,
  2 ** 53 - 1,
  2 ** 53,
  2 ** 53 + 2,
  1e20,
  1e21,
  1.5e300,
  0.1,
  1e-7,
  12.75,
];

describe('metrics/exposition: text lines', () => {
  for (const defaults of [undefined, { region: 'eu "west"', zone: 'zürich' }]) {
    it(`equal prom-client's formatting of the same series ${defaults ? 'with' : 'without'} default labels`, async () => {
      const registry = new Registry();
      if (defaults) registry.setDefaultLabels(defaults);
      const bare = new CounterFamily({ name: 'bare_total', help: 'no labels', labelNames: [], registers: [registry] });
      const counter = new CounterFamily({ name: 'routes_total', help: 'by route', labelNames: ['route', 'code'], registers: [registry] });
      const histogram = new DurationHistogram({
        name: 'duration_seconds',
        help: 'by route',
        labelNames: ['route'],
        buckets: [0.1, 1, 2.5],
        registers: [registry],
      });
      const bareHistogram = new DurationHistogram({
        name: 'bare_seconds',
        help: 'no labels',
        labelNames: [],
        buckets: [0.5],
        registers: [registry],
      });
      const values = new CounterFamily({ name: 'values_total', help: 'by size', labelNames: ['size'], registers: [registry] });
      for (const value of VALUES) values.series([String(value)]).inc(value);
      bare.series([]).inc(3);
      bareHistogram.series([]).observe(0.25);
      for (const [i, route] of ROUTES.entries()) {
        counter.series([route, String(200 + i)]).inc(i + 0.5);
        histogram.series([route]).observe(i / 2);
      }
      const text = (await serialRenderer(registry)('text')).body as string;
      expect(text).to.equal(await registry.metrics());
      expect(text).to.include(defaults ? '\nbare_total{region="eu \\"west\\"",zone="zürich"} 3' : '\nbare_total 3');
      expect(text).to.include(
        defaults ? '\nbare_seconds_bucket{le="0.5",region="eu \\"west\\"",zone="zürich"} 1' : '\nbare_seconds_bucket{le="0.5"} 1',
      );
    });
  }

  it('takes default labels set between renders, in text and protobuf (they are kept for one render only)', async () => {
    const registry = new Registry();
    const counter = new CounterFamily({ name: 'routes_total', help: 'by route', labelNames: ['route'], registers: [registry] });
    const histogram = new DurationHistogram({
      name: 'duration_seconds',
      help: 'by route',
      labelNames: ['route'],
      buckets: [1],
      registers: [registry],
    });
    counter.series(['/a']).inc();
    histogram.series(['/a']).observe(0.5);
    const render = serialRenderer(registry);
    for (const defaults of [{}, { env: 'a' }, { env: 'b', zone: 'z' }, {}]) {
      registry.setDefaultLabels(defaults);
      expect((await render('text')).body).to.equal(await registry.metrics());
      const families = decodeProtobuf((await render('protobuf')).body as Uint8Array);
      const labels = families
        .find((family) => family.name === 'routes_total')!
        .metric[0]!.label.map(({ name, value }) => `${name}=${value}`);
      expect(labels).to.deep.equal(['route=/a', ...Object.entries(defaults).map(([name, value]) => `${name}=${value}`)]);
    }
  });

  it('puts a series label suffix after a line start with or without a first label', () => {
    const line = (start: LineStart, suffix: Uint8Array) => {
      const writer = new TextWriter();
      start.write(writer, suffix);
      return writer.take().toString();
    };
    const suffix = labelSuffix([{ name: 'route', value: '/a"b' }]);
    expect(Buffer.from(suffix).toString()).to.equal('route="/a\\"b"} ');
    expect(line(new LineStart('x_bucket', 'le="1"'), suffix)).to.equal('\nx_bucket{le="1",route="/a\\"b"} ');
    expect(line(new LineStart('x_sum'), suffix)).to.equal('\nx_sum{route="/a\\"b"} ');
    expect(line(new LineStart('x_bucket', 'le="1"'), labelSuffix([]))).to.equal('\nx_bucket{le="1"} ');
    expect(line(new LineStart('x_sum'), labelSuffix([]))).to.equal('\nx_sum ');
    const env = defaultsSuffix([{ name: 'env', value: 'p' }]);
    expect(Buffer.from(withDefaults(suffix, env)).toString()).to.equal('route="/a\\"b",env="p"} ');
    expect(Buffer.from(withDefaults(labelSuffix([]), env)).toString()).to.equal('env="p"} ');
    expect(withDefaults(suffix, defaultsSuffix([]))).to.equal(suffix);
  });
});

describe('metrics/exposition: TextWriter', () => {
  it("writes values as String() and prom-client's formatValue do", () => {
    const values = [...VALUES, -0, -1, -(2 ** 40), Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2 ** 53 + 1];
    for (let i = 0; i < 2000; i += 1) values.push(Math.floor(Math.random() * 2 ** (i % 54)), Math.random() * 10 ** (i % 30));
    const writer = new TextWriter(16);
    for (const value of values) {
      writer.value(value);
      writer.text(' ');
    }
    const expected = values.map((value) =>
      Number.isNaN(value) ? 'Nan' : Number.isFinite(value) ? String(value) : value > 0 ? '+Inf' : '-Inf',
    );
    expect(writer.take().toString()).to.equal(`${expected.join(' ')} `);
    expect(formatValue(Number.NaN)).to.equal('Nan');
  });

  it('grows past its capacity and starts afresh after a take', () => {
    const writer = new TextWriter(4);
    const long = `zürich ${'y'.repeat(5000)}`;
    writer.text(long);
    writer.bytes(Buffer.from('|'));
    writer.value(42);
    expect(writer.length).to.equal(Buffer.byteLength(long) + 3);
    expect(writer.take().toString()).to.equal(`${long}|42`);
    expect(writer.length).to.equal(0);
    writer.text('é');
    expect(writer.take().toString()).to.equal('é');
  });
});
