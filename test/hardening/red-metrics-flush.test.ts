// RedMetrics keeps request counts as plain numbers on the hot path and hands them to
// prom-client when it collects: every way of reading the registry must see exact counts.
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { RedMetrics } from '../../service/src/metrics/red-metrics.ts';

function requestsIn(text: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`http_requests_total{${labels}}`));
  return Number(line?.split(' ')[1] ?? Number.NaN);
}

describe('hardening: RedMetrics request counts on the fast path', () => {
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
