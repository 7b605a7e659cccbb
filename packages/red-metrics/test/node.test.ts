// The node:http adapter and its example: recording on Node's own request and response, and
// /metrics negotiated in each format, over real HTTP.
import { spawn } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { decodeProtobuf, metricsHandler, RedMetrics, recordRequest } from '../src/node.ts';
import { samples } from '../../../test/support/listen.ts';
import { eventually } from './support/eventually.ts';

const PROMETHEUS_3_ACCEPT =
  'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3,*/*;q=0.1';

async function serve(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('red-metrics/node: recordRequest and metricsHandler', function () {
  const registry = new Registry();
  const metrics = new RedMetrics(registry, { nativeHistograms: true });
  const serveMetrics = metricsHandler(registry);
  let release: (() => void) | undefined;
  const server = createServer((req, res) => {
    if (req.url === '/metrics') return void serveMetrics(req, res);
    const route = req.url?.startsWith('/items/') ? '/items/:id' : undefined;
    const recording = recordRequest(metrics, req, res, { routeOf: () => route });
    if (req.url === '/fail') res.writeHead(500).end();
    else if (req.url === '/hang') {
      res.flushHeaders();
      release = () => recording.handlerReturned(true);
      return;
    } else if (route) res.end('item');
    else res.writeHead(404).end();
    recording.handlerReturned();
  });
  let url: string;
  before(async () => {
    url = await serve(server);
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('labels requests with the route template, the unmatched route and the status the client saw', async function () {
    for (const path of ['/items/1', '/items/2', '/nowhere', '/fail']) await (await fetch(url + path)).arrayBuffer();
    await eventually(async () => {
      const requests = await samples(registry, 'http_requests_total');
      const count = (route: string, status: number) =>
        requests.find((s) => s.labels.route === route && s.labels.status_code === String(status))?.value;
      expect(count('/items/:id', 200)).to.equal(2);
      expect(count('unmatched', 404)).to.equal(1);
      expect(count('unmatched', 500)).to.equal(1);
      const errors = await samples(registry, 'http_request_errors_total');
      expect(errors.map((s) => [s.labels.status_code, s.labels.error_type, s.value])).to.deep.equal([['500', 'server_error', 1]]);
    });
  });

  it('keeps a request in flight until both its response closed and its handler returned; a client that left is 499', async function () {
    const gauge = async () => (await samples(registry, 'http_requests_in_flight'))[0]?.value;
    const client = request(`${url}/hang`);
    client.on('error', () => undefined);
    client.end();
    await eventually(async () => expect(await gauge()).to.equal(1));
    client.destroy();
    await eventually(async () => {
      const requests = await samples(registry, 'http_requests_total');
      expect(requests.find((s) => s.labels.status_code === '499')?.value).to.equal(1);
    });
    expect(await gauge(), 'the handler has not returned yet').to.equal(1);
    release?.();
    expect(await gauge()).to.equal(0);
    const errors = await samples(registry, 'http_request_errors_total');
    expect(
      errors.some((s) => s.labels.status_code === '499'),
      '499 is not an error',
    ).to.equal(false);
  });

  it('serves text, OpenMetrics and protobuf with the native histogram, as the Accept header asks', async function () {
    const text = await fetch(`${url}/metrics`);
    expect(text.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
    expect(await text.text()).to.match(/^http_requests_total\{method="GET",route="\/items\/:id",status_code="200"\} 2$/m);
    const openMetrics = await fetch(`${url}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
    expect(openMetrics.headers.get('content-type')).to.match(/^application\/openmetrics-text/);
    expect((await openMetrics.text()).trimEnd().endsWith('# EOF')).to.equal(true);
    const protobuf = await fetch(`${url}/metrics`, { headers: { accept: PROMETHEUS_3_ACCEPT } });
    const families = decodeProtobuf(new Uint8Array(await protobuf.arrayBuffer()));
    const histogram = families.find((f) => f.name === 'http_request_duration_seconds')!;
    const items = histogram.metric.find((m) => m.label.some((l) => l.value === '/items/:id'))!;
    expect(items.histogram?.schema).to.equal(3);
    expect(Number(items.histogram?.sampleCount)).to.equal(2);
  });

  it('answers HEAD without a body and refuses other methods with 405', async function () {
    const head = await fetch(`${url}/metrics`, { method: 'HEAD' });
    expect(head.status).to.equal(200);
    expect(await head.text()).to.equal('');
    const post = await fetch(`${url}/metrics`, { method: 'POST' });
    expect(post.status).to.equal(405);
    expect(post.headers.get('allow')).to.equal('GET, HEAD');
  });
});

describe('red-metrics/examples/node-http.ts', function () {
  it('serves its route and the same RED metrics from plain node:http, imported by package name', async function () {
    this.timeout(30_000);
    const example = fileURLToPath(new URL('../examples/node-http.ts', import.meta.url));
    const child = spawn(process.execPath, [example], { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let output = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      const url = (await eventually(async () => {
        const match = /listening on (http:\/\/\S+)/.exec(output);
        if (!match) throw new Error(`no "listening on" line yet: ${output}`);
        return match[1];
      }, 20_000)) as string;
      const before = await (await fetch(`${url}/metrics`)).text();
      expect(before).to.match(/^http_requests_total\{method="GET",route="\/hello\/:name",status_code="200"\} 0$/m);
      expect(await (await fetch(`${url}/hello/ada`)).text()).to.equal('hello ada\n');
      expect((await fetch(`${url}/nope`)).status).to.equal(404);
      await eventually(async () => {
        const text = await (await fetch(`${url}/metrics`)).text();
        expect(text).to.match(/^http_requests_total\{method="GET",route="\/hello\/:name",status_code="200"\} 1$/m);
        expect(text).to.match(/^http_requests_total\{method="GET",route="unmatched",status_code="404"\} 1$/m);
        expect(text).to.include('# TYPE nodejs_eventloop_lag_seconds gauge');
      });
      const protobuf = await fetch(`${url}/metrics`, { headers: { accept: PROMETHEUS_3_ACCEPT } });
      const histogram = decodeProtobuf(new Uint8Array(await protobuf.arrayBuffer())).find(
        (f) => f.name === 'http_request_duration_seconds',
      )!;
      const hello = histogram.metric.find((m) => m.label.some((l) => l.value === '/hello/:name'))!;
      expect(hello.histogram?.schema).to.equal(3);
      expect(Number(hello.histogram?.sampleCount)).to.equal(1);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
