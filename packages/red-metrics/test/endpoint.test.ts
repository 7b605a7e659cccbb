// GET /metrics on the whole app: formats, negotiation, and scrapes of both formats at once.
import { expect } from 'chai';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { serialRenderer } from '../src/endpoint.ts';
import { DEFAULT_BUCKETS, RedMetrics, decodeProtobuf, negotiateFormat, prefersOpenMetrics } from '../src/index.ts';
import { serveApp } from './support/koa-app.ts';

describe('metrics/endpoint', () => {
  let app: Awaited<ReturnType<typeof serveApp>>;
  before(async () => {
    app = await serveApp();
  });
  after(() => app.server.close());

  it('serves the Prometheus text format by default', async () => {
    const response = await fetch(`${app.server.url}/metrics`);
    expect(response.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    for (const name of [
      'http_requests_total',
      'http_request_errors_total',
      'http_request_duration_seconds',
      'http_requests_in_flight',
      'process_cpu_seconds_total',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(text).to.include(`# TYPE ${name} `);
    }
  });

  it('serves OpenMetrics when asked', async () => {
    const response = await fetch(`${app.server.url}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
    expect(response.headers.get('content-type')).to.match(/^application\/openmetrics-text/);
    const text = await response.text();
    expect(text.trimEnd().endsWith('# EOF')).to.equal(true);
    expect(text).to.include('# TYPE http_requests counter');
  });
});

describe('metrics/endpoint formats', () => {
  let app: Awaited<ReturnType<typeof serveApp>>;
  before(async () => {
    app = await serveApp();
  });
  after(() => app.server.close());
  const scrape = async (openMetrics: boolean) =>
    (
      await fetch(`${app.server.url}/metrics`, {
        headers: openMetrics ? { accept: 'application/openmetrics-text;version=1.0.0;q=0.5,text/plain;q=0.3' } : {},
      })
    ).text();

  it('keeps counter names whole in the text format after an OpenMetrics scrape', async () => {
    await app.json('/api/items/1');
    expect(await scrape(true)).to.include('# TYPE http_requests counter');
    const text = await scrape(false);
    expect(text).to.include('# TYPE http_requests_total counter');
    expect(text).to.match(/^http_requests_total\{method="GET",route="\/api\/items\/:id",status_code="200"\} 1$/m);
  });

  it('serves concurrent scrapes of both formats each in its own format', async () => {
    const bodies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => scrape(i % 2 === 0).then((body) => [i % 2 === 0, body] as const)),
    );
    for (const [openMetrics, body] of bodies) {
      if (openMetrics) {
        expect(body.trimEnd().endsWith('# EOF')).to.equal(true);
        expect(body).not.to.include('# TYPE http_requests_total counter');
      } else {
        expect(body).to.include('# TYPE http_requests_total counter');
        expect(body).not.to.include('# EOF');
      }
    }
  });
});

describe('metrics/endpoint negotiation', () => {
  it('ranks the formats as Prometheus asks', () => {
    expect(
      prefersOpenMetrics(
        'application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
      ),
    ).to.equal(true);
    expect(prefersOpenMetrics('text/plain;version=0.0.4;q=1,application/openmetrics-text;q=0.5')).to.equal(false);
    expect(prefersOpenMetrics('*/*')).to.equal(false);
    expect(prefersOpenMetrics('')).to.equal(false);
  });
});

describe('metrics/endpoint: the owned histogram, byte for byte', () => {
  const labelNames = ['method', 'route', 'status_code'];
  /** The same traffic through RedMetrics and through prom-client's own instruments. */
  function twins(nativeHistograms: boolean) {
    const owned = new Registry();
    const red = new RedMetrics(owned, { nativeHistograms });
    const reference = new Registry();
    const requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests served, by method, route template and status code.',
      labelNames,
      registers: [reference],
    });
    const errors = new Counter({
      name: 'http_request_errors_total',
      help: 'HTTP requests that failed on the server side (5xx), by error type.',
      labelNames: [...labelNames, 'error_type'],
      registers: [reference],
    });
    const duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from receiving a request to the end of its response, in seconds.',
      labelNames,
      buckets: DEFAULT_BUCKETS,
      registers: [reference],
    });
    new Gauge({ name: 'http_requests_in_flight', help: 'HTTP requests being served right now.', registers: [reference] });
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let i = 0; i < 6000; i += 1) {
      const method = ['GET', 'POST', 'DELETE'][i % 3]!;
      const r = Math.floor(random() * 60); // several render slices of series
      const route = r === 0 ? '/c "quoted"\\path\nnext' : `/r${r}/:id`;
      const status = [200, 404, 500, 503][Math.floor(random() * 4)]!;
      const seconds = random() ** 3 * 12;
      red.observe(method, route, status, seconds, status === 500);
      requests.labels(method, route, String(status)).inc();
      duration.labels(method, route, String(status)).observe(seconds);
      if (status >= 500) errors.labels(method, route, String(status), status === 500 ? 'exception' : 'server_error').inc();
    }
    return { owned, reference };
  }

  for (const nativeHistograms of [false, true]) {
    it(`renders text and OpenMetrics exactly as prom-client's Histogram (native ${nativeHistograms ? 'on' : 'off'})`, async () => {
      const { owned, reference } = twins(nativeHistograms);
      const render = serialRenderer(owned);
      const text = (await render('text')).body;
      expect(text).to.equal(await reference.metrics());
      expect(text).to.equal(await owned.metrics()); // prom-client formatting our get() agrees too
      reference.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never);
      const openMetrics = (await render('openmetrics')).body as string;
      // OpenMetrics adds a `_created` sample after each counter and histogram series; the rest is prom-client's.
      const created = /^\w+_created\{.*\} \d+(\.\d+)?\n/gm;
      expect(openMetrics.replace(created, '')).to.equal(await reference.metrics());
      const lines = openMetrics.split('\n');
      const series = lines.filter((line) => /^http_request(s_total|_errors_total|_duration_seconds_count)\{/.test(line));
      expect(series.length).to.be.above(100);
      for (const line of series) {
        const next = lines[lines.indexOf(line) + 1]!;
        const labels = line.slice(line.indexOf('{'), line.lastIndexOf('}') + 1);
        expect(next, line).to.match(/^http_request(s|_errors|_duration_seconds)_created\{/);
        expect(next.slice(next.indexOf('{'), next.lastIndexOf('}') + 1)).to.equal(labels);
        expect(Number(next.split(' ').at(-1)) * 1000).to.be.within(Date.now() - 60_000, Date.now());
      }
      expect((await render('text')).body).to.equal(text);
    });
  }

  it('places registry default labels as prom-client places them on these metrics, in every format', async () => {
    const { owned } = twins(true);
    owned.setDefaultLabels({ region: 'eu "west"', route: 'ignored: the series label wins' });
    const render = serialRenderer(owned);
    // prom-client formatting the metrics' get(): series labels, then the defaults they do not name.
    const text = (await render('text')).body as string;
    expect(text).to.equal(await owned.metrics());
    expect(text).to.include('http_request_duration_seconds_count{method="GET",route="/r1/:id",status_code="200",region="eu \\"west\\""}');
    const families = decodeProtobuf((await render('protobuf')).body as Uint8Array);
    for (const name of ['http_requests_total', 'http_request_errors_total', 'http_request_duration_seconds']) {
      const labels = families.find((family) => family.name === name)!.metric[0]!.label;
      expect(labels.filter((label) => label.name === 'region')).to.deep.equal([{ name: 'region', value: 'eu "west"' }]);
      expect(labels.filter((label) => label.name === 'route')).to.have.length(1);
    }
  });
});

describe('metrics/endpoint: protobuf', () => {
  let app: Awaited<ReturnType<typeof serveApp>>;
  before(async () => {
    app = await serveApp();
  });
  after(() => app.server.close());
  const PROMETHEUS_3_ACCEPT =
    'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.5,application/openmetrics-text;version=1.0.0;q=0.4,application/openmetrics-text;version=0.0.1;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1';

  it('is chosen only when the Accept header ranks it first', () => {
    expect(negotiateFormat(PROMETHEUS_3_ACCEPT)).to.equal('protobuf');
    expect(
      negotiateFormat('application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text;q=0.9,text/plain;q=0.1'),
    ).to.equal('text');
    expect(
      negotiateFormat(
        'application/openmetrics-text;version=1.0.0;q=0.6,application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.5',
      ),
    ).to.equal('openmetrics');
    expect(negotiateFormat('')).to.equal('text');
  });

  it('carries every metric of the registry, and the RED histogram with classic and native buckets', async () => {
    for (let i = 0; i < 20; i += 1) await app.json('/api/items/1');
    const response = await fetch(`${app.server.url}/metrics`, { headers: { accept: PROMETHEUS_3_ACCEPT } });
    expect(response.headers.get('content-type')).to.equal(
      'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited',
    );
    const families = decodeProtobuf(new Uint8Array(await response.arrayBuffer()));
    const names = families.map((family) => family.name);
    expect(names).to.have.members(app.registry.getMetricsAsArray().map((metric) => (metric as unknown as { name: string }).name));
    const counter = families.find((f) => f.name === 'http_requests_total')!;
    const items = counter.metric.find((m) => m.label.some((l) => l.value === '/api/items/:id') && m.label.some((l) => l.value === '200'));
    expect(items?.counter?.value).to.equal(20);
    const histogram = families.find((f) => f.name === 'http_request_duration_seconds')!;
    expect(histogram.type).to.equal(4);
    const series = histogram.metric.find(
      (m) => m.label.some((l) => l.value === '/api/items/:id') && m.label.some((l) => l.value === '200'),
    )!.histogram!;
    expect(series.sampleCount).to.equal(20);
    expect(series.bucket.map((b) => b.upperBound)).to.deep.equal(DEFAULT_BUCKETS);
    expect(series.schema).to.equal(3);
    expect(series.zeroThreshold).to.equal(2 ** -128);
    let running = 0;
    let total = 0;
    for (const delta of series.positiveDelta) total += running += delta;
    expect(total + (series.zeroCount ?? 0)).to.equal(20);
    const gc = families.find((f) => f.name === 'nodejs_gc_duration_seconds');
    if (gc?.metric.length) expect(gc.metric[0]!.histogram!.bucket.length).to.be.above(0);
  });

  it('serves classic buckets only when native histograms are off', async () => {
    const classic = await serveApp({ METRICS_NATIVE_HISTOGRAMS: 'false' });
    try {
      await classic.json('/api/items/1');
      const response = await fetch(`${classic.server.url}/metrics`, { headers: { accept: PROMETHEUS_3_ACCEPT } });
      const families = decodeProtobuf(new Uint8Array(await response.arrayBuffer()));
      const histogram = families.find((f) => f.name === 'http_request_duration_seconds')!;
      for (const metric of histogram.metric) {
        expect(metric.histogram?.schema).to.equal(undefined);
        expect(metric.histogram?.positiveSpan).to.deep.equal([]);
        expect(metric.histogram?.bucket).to.have.length(DEFAULT_BUCKETS.length);
      }
    } finally {
      await classic.server.close();
    }
  });
});

describe('metrics/endpoint: protobuf in slices', () => {
  it('decodes a histogram of many series, encoded slice by slice, as one family', async () => {
    const registry = new Registry();
    const red = new RedMetrics(registry, { nativeHistograms: true });
    for (let i = 0; i < 1000; i += 1) red.observe('GET', `/r${i}`, 200, 0.001 * (i + 1), false);
    const body = (await serialRenderer(registry)('protobuf')).body as Uint8Array;
    const families = decodeProtobuf(body);
    const histograms = families.filter((f) => f.name === 'http_request_duration_seconds');
    expect(histograms).to.have.length(1);
    expect(histograms[0]!.help).to.equal('Time from receiving a request to the end of its response, in seconds.');
    expect(histograms[0]!.metric).to.have.length(1000);
    const last = histograms[0]!.metric[999];
    expect(last!.label.find((l) => l.name === 'route')!.value).to.equal('/r999');
    expect(last!.histogram!.sampleSum).to.equal(1);
    expect(families.map((f) => f.name)).to.include.members(['http_requests_total', 'http_request_errors_total', 'http_requests_in_flight']);
  });
});
