// RedMetrics on its own: series created at zero, buckets, naming options, and exact counts
// for every reader although the request counter is kept as plain numbers on the hot path.
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { RedMetrics } from '../src/index.ts';

describe('metrics/red-metrics', () => {
  it('creates known routes at zero so rate() works before the first error', async () => {
    const registry = new Registry();
    new RedMetrics(registry).initialise([
      { method: 'GET', route: '/a' },
      { method: 'POST', route: '/b', statusCode: 201 },
    ]);
    const text = await registry.metrics();
    expect(text).to.include('http_requests_total{method="GET",route="/a",status_code="200"} 0');
    expect(text).to.include('http_requests_total{method="POST",route="/b",status_code="201"} 0');
    expect(text).to.include('http_request_errors_total{method="POST",route="/b",status_code="500",error_type="exception"} 0');
    expect(text).to.include('http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/a",status_code="200"} 0');
  });

  it('uses the documented buckets, in seconds', async () => {
    const registry = new Registry();
    new RedMetrics(registry).observe('GET', '/a', 200, 0.3, false);
    const les = [...(await registry.metrics()).matchAll(/le="([^"]+)"/g)].map((m) => m[1]);
    expect(les).to.deep.equal([
      '0.005',
      '0.01',
      '0.025',
      '0.05',
      '0.075',
      '0.1',
      '0.25',
      '0.5',
      '0.75',
      '1',
      '2.5',
      '5',
      '7.5',
      '10',
      '+Inf',
    ]);
  });
});

function requestsIn(text: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`http_requests_total{${labels}}`));
  return Number(line?.split(' ')[1] ?? Number.NaN);
}

describe('metrics/red-metrics options', () => {
  it('prefixes every name and adds constant labels to every series', async () => {
    const registry = new Registry();
    const metrics = new RedMetrics(registry, { prefix: 'shop_', constLabels: { service: 'cart', zone: 'a"b' } });
    metrics.observe('GET', '/a', 200, 0.3, false);
    metrics.observe('GET', '/a', 503, 0.3, false);
    metrics.requestStarted();
    const text = await registry.metrics();
    expect(text).to.include('shop_http_requests_total{method="GET",route="/a",status_code="200",service="cart",zone="a\\"b"} 1');
    expect(text).to.include(
      'shop_http_request_duration_seconds_bucket{le="0.5",method="GET",route="/a",status_code="200",service="cart",zone="a\\"b"} 1',
    );
    expect(text).to.include(
      'shop_http_request_errors_total{method="GET",route="/a",status_code="503",error_type="server_error",service="cart",zone="a\\"b"} 1',
    );
    expect(text).to.include('shop_http_requests_in_flight{service="cart",zone="a\\"b"} 1');
    expect(text).not.to.match(/^http_/m);
  });

  it('takes its own buckets', async () => {
    const registry = new Registry();
    new RedMetrics(registry, { buckets: [0.1, 1] }).observe('GET', '/a', 200, 0.3, false);
    const les = [...(await registry.metrics()).matchAll(/le="([^"]+)"/g)].map((m) => m[1]);
    expect(les).to.deep.equal(['0.1', '1', '+Inf']);
  });

  it('refuses native histogram options out of range, naming the option', () => {
    const native = (nativeHistograms: object) => () => new RedMetrics(new Registry(), { nativeHistograms });
    expect(native({ bucketFactor: 1 })).to.throw(RangeError, /nativeHistograms\.bucketFactor/);
    expect(native({ bucketLimit: -1 })).to.throw(RangeError, /nativeHistograms\.bucketLimit/);
    expect(native({ bucketLimit: 2.5 })).to.throw(RangeError, /nativeHistograms\.bucketLimit/);
    expect(native({ zeroThreshold: Number.NaN })).to.throw(RangeError, /nativeHistograms\.zeroThreshold/);
    expect(native({ maxZeroThreshold: Number.POSITIVE_INFINITY })).to.throw(RangeError, /nativeHistograms\.maxZeroThreshold/);
    expect(native({ minResetDurationMs: -5 })).to.throw(RangeError, /nativeHistograms\.minResetDurationMs/);
    expect(native({ zeroThreshold: -1, maxZeroThreshold: 0.001, minResetDurationMs: 60_000 })).not.to.throw();
  });

  it('refuses names Prometheus would reject and labels that clash with its own', () => {
    expect(() => new RedMetrics(new Registry(), { prefix: 'my-app_' })).to.throw(/prefix/);
    expect(() => new RedMetrics(new Registry(), { constLabels: { 'bad-name': 'x' } })).to.throw(/label name/);
    expect(() => new RedMetrics(new Registry(), { constLabels: { route: 'x' } })).to.throw(/clashes/);
    expect(() => new RedMetrics(new Registry(), { constLabels: { __name__: 'x' } })).to.throw(/label name/);
  });
});

describe('metrics/red-metrics: request counts on the fast path', () => {
  it('renders exact counts across scrapes, and agrees with the histogram count', async () => {
    const registry = new Registry();
    const metrics = new RedMetrics(registry);
    for (let i = 0; i < 1000; i += 1) metrics.observe('GET', '/a', 200, 0.01, false);
    metrics.observe('POST', '/b', 500, 0.2, true);
    let text = await registry.metrics();
    expect(requestsIn(text, 'method="GET",route="/a",status_code="200"')).to.equal(1000);
    expect(requestsIn(text, 'method="POST",route="/b",status_code="500"')).to.equal(1);
    expect(text).to.include('http_request_duration_seconds_count{method="GET",route="/a",status_code="200"} 1000');
    expect(text).to.include('http_request_errors_total{method="POST",route="/b",status_code="500",error_type="exception"} 1');

    for (let i = 0; i < 5; i += 1) metrics.observe('GET', '/a', 200, 0.01, false);
    text = await registry.metrics();
    expect(requestsIn(text, 'method="GET",route="/a",status_code="200"')).to.equal(1005);
    text = await registry.metrics(); // nothing new: no double counting
    expect(requestsIn(text, 'method="GET",route="/a",status_code="200"')).to.equal(1005);
  });

  it('flushes for direct readers too (metric.get(), getMetricsAsJSON)', async () => {
    const registry = new Registry();
    const metrics = new RedMetrics(registry);
    metrics.observe('GET', '/a', 404, 0.001, false);
    metrics.observe('GET', '/a', 404, 0.001, false);
    const direct = await metrics.requests.get();
    expect(direct.values.find((v) => v.labels.status_code === '404')?.value).to.equal(2);
    metrics.observe('GET', '/a', 404, 0.001, false);
    const json = (await registry.getMetricsAsJSON()) as { name: string; values: { labels: Record<string, string>; value: number }[] }[];
    const counter = json.find((m) => m.name === 'http_requests_total')!;
    expect(counter.values.find((v) => v.labels.status_code === '404')?.value).to.equal(3);
  });
});
