// The text lines of the families redline renders itself (line start, label suffix, value, each
// made flat once) against prom-client formatting the same state through get(): series with and
// without labels, label values that need escaping or are not ASCII, with and without registry
// default labels.
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { CounterFamily } from '../src/counter-family.ts';
import { DurationHistogram } from '../src/duration-histogram.ts';
import { serialRenderer } from '../src/endpoint.ts';
import { LineStart, labelSuffix, withDefaults } from '../src/exposition.ts';
import { ODD_ROUTES } from './support/odd-routes.ts';

// And a long one.
const ROUTES = [...ODD_ROUTES, 'x'.repeat(300)];

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

  it('puts a series label suffix after a line start with or without a first label', () => {
    const suffix = labelSuffix([{ name: 'route', value: '/a"b' }]);
    expect(suffix).to.equal('route="/a\\"b"} ');
    expect(new LineStart('x_bucket', 'le="1"').of(suffix)).to.equal('\nx_bucket{le="1",route="/a\\"b"} ');
    expect(new LineStart('x_sum').of(suffix)).to.equal('\nx_sum{route="/a\\"b"} ');
    expect(new LineStart('x_bucket', 'le="1"').of(labelSuffix([]))).to.equal('\nx_bucket{le="1"} ');
    expect(new LineStart('x_sum').of(labelSuffix([]))).to.equal('\nx_sum ');
    expect(withDefaults(suffix, 'env="p"')).to.equal('route="/a\\"b",env="p"} ');
    expect(withDefaults('', 'env="p"')).to.equal('env="p"} ');
    expect(withDefaults(suffix, '')).to.equal(suffix);
  });
});
