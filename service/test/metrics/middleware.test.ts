import { PassThrough } from 'node:stream';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import Router from '@koa/router';
import { expect } from 'chai';
import Koa from 'koa';
import { Registry } from 'prom-client';
import { redMiddleware } from '../../src/metrics/middleware.ts';
import { RedMetrics } from '../../src/metrics/red-metrics.ts';
import { listen, samples, type Listening } from '../listen.ts';

/** A small app of its own: the middleware must work in any Koa app, not only redline's. */
function testApp() {
  const registry = new Registry();
  const metrics = new RedMetrics(registry);
  const app = new Koa();
  app.silent = true;
  app.use(redMiddleware(metrics));
  const router = new Router();
  router.get('/users/:id', (ctx) => {
    ctx.body = { id: ctx.params.id };
  });
  router.get('/boom', () => {
    throw new Error('kaboom');
  });
  router.get('/teapot', (ctx) => ctx.throw(418, 'short and stout'));
  router.get('/unavailable', (ctx) => {
    ctx.status = 503;
    ctx.body = 'down';
  });
  router.get('/slow', async (ctx) => {
    await sleep(300);
    ctx.body = 'late';
  });
  router.get('/stream', (ctx) => {
    const body = new PassThrough();
    ctx.body = body;
    body.write('first ');
    setTimeout(() => body.end('last'), 150);
  });
  app.use(router.routes());
  app.use(router.allowedMethods());
  return { app, registry, metrics };
}

async function eventually(check: () => Promise<unknown>, timeoutMs = 2_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(20);
    }
  }
}

describe('metrics/middleware', () => {
  let server: Listening;
  let registry: Registry;

  beforeEach(async () => {
    const made = testApp();
    registry = made.registry;
    server = await listen(made.app);
  });
  afterEach(() => server.close());

  const count = async (name: string, labels: Record<string, string>) =>
    (await samples(registry, name))
      .filter((s) => Object.entries(labels).every(([k, v]) => String(s.labels[k]) === v))
      .reduce((sum, s) => sum + s.value, 0);

  it('labels requests with the route template, never the raw path', async () => {
    for (const id of ['1', '2', 'alice']) await (await fetch(`${server.url}/users/${id}`)).text();
    expect(await count('http_requests_total', { method: 'GET', route: '/users/:id', status_code: '200' })).to.equal(3);
    const routes = (await samples(registry, 'http_requests_total')).map((s) => s.labels.route);
    expect(routes).not.to.include('/users/1');
  });

  it('collapses unmatched paths and unknown methods into one label each', async () => {
    for (let i = 0; i < 200; i += 1) await (await fetch(`${server.url}/scan/${i}?q=${i}`)).text();
    await new Promise<void>((resolve, reject) => {
      const req = request(`${server.url}/users/1`, { method: 'PROPFIND' }, (res) => res.resume().on('end', resolve));
      req.on('error', reject).end();
    });
    const series = await samples(registry, 'http_requests_total');
    expect(series.filter((s) => s.labels.route === 'unmatched' && s.labels.method === 'GET')).to.have.length(1);
    expect(await count('http_requests_total', { route: 'unmatched', status_code: '404' })).to.equal(200);
    expect(await count('http_requests_total', { method: '_OTHER' })).to.equal(1);
  });

  it('records a thrown error with the status the client receives, as an exception', async () => {
    const response = await fetch(`${server.url}/boom`);
    expect(response.status).to.equal(500);
    await eventually(async () => {
      expect(await count('http_requests_total', { route: '/boom', status_code: '500' })).to.equal(1);
      expect(await count('http_request_errors_total', { route: '/boom', status_code: '500', error_type: 'exception' })).to.equal(1);
    });
    expect(await count('http_requests_total', { route: '/boom', status_code: '404' })).to.equal(0);
  });

  it('records a thrown 4xx with its status and not as an error', async () => {
    expect((await fetch(`${server.url}/teapot`)).status).to.equal(418);
    await eventually(async () => expect(await count('http_requests_total', { route: '/teapot', status_code: '418' })).to.equal(1));
    expect(await count('http_request_errors_total', { route: '/teapot' })).to.equal(0);
  });

  it('counts a 5xx answered without an exception as a server_error', async () => {
    expect((await fetch(`${server.url}/unavailable`)).status).to.equal(503);
    await eventually(async () =>
      expect(await count('http_request_errors_total', { route: '/unavailable', status_code: '503', error_type: 'server_error' })).to.equal(1),
    );
  });

  it('records a client that disconnects early as 499, with its duration', async () => {
    await new Promise<void>((resolve) => {
      const req = request(`${server.url}/slow`);
      req.on('error', () => resolve());
      req.end();
      setTimeout(() => req.destroy(), 50);
    });
    await eventually(async () => expect(await count('http_requests_total', { route: '/slow', status_code: '499' })).to.equal(1), 3_000);
    const sum = await count('http_request_duration_seconds_sum', { route: '/slow', status_code: '499' });
    expect(sum).to.be.within(0.03, 0.29);
    expect(await count('http_request_errors_total', { route: '/slow' })).to.equal(0);
    // The handler still works after its client left: it stays in flight until it returns.
    expect(await count('http_requests_in_flight', {})).to.equal(1);
    await eventually(async () => expect(await count('http_requests_in_flight', {})).to.equal(0), 3_000);
  });

  it('measures until a streamed body has been fully sent', async () => {
    expect(await (await fetch(`${server.url}/stream`)).text()).to.equal('first last');
    await eventually(async () => expect(await count('http_requests_total', { route: '/stream' })).to.equal(1));
    expect(await count('http_request_duration_seconds_sum', { route: '/stream' })).to.be.at.least(0.14);
  });

  it('tracks requests in flight', async () => {
    const pending = fetch(`${server.url}/slow`).then((r) => r.text());
    await eventually(async () => expect(await count('http_requests_in_flight', {})).to.equal(1));
    await pending;
    await eventually(async () => expect(await count('http_requests_in_flight', {})).to.equal(0));
  });

  it('keeps the series count bounded whatever clients send', async () => {
    const methods = ['GET', 'POST', 'DELETE', 'PATCH', 'PROPFIND', 'MKCOL', 'LOCK', 'SEARCH'];
    const send = (method: string, path: string) =>
      new Promise<void>((resolve) => {
        const req = request(`${server.url}${path}`, { method }, (res) => res.resume().on('end', resolve));
        req.on('error', () => resolve()).end();
      });
    const before = (await samples(registry, 'http_requests_total')).length;
    for (let i = 0; i < 600; i += 1) {
      const path = `/${Math.random().toString(36).slice(2)}/${i}?${i}=${'x'.repeat(i % 50)}`;
      await send(methods[i % methods.length]!, i % 3 === 0 ? `/users/${i}` : path);
    }
    const series = await samples(registry, 'http_requests_total');
    // routes {unmatched, /users/:id} x methods {GET, POST, DELETE, PATCH, _OTHER} x a few statuses
    expect(series.length - before).to.be.at.most(20);
    for (const s of series) expect(String(s.labels.route)).to.be.oneOf(['unmatched', '/users/:id']);
  });
});

describe('metrics/red-metrics', () => {
  it('creates known routes at zero so rate() works before the first error', async () => {
    const registry = new Registry();
    new RedMetrics(registry).initialise([{ method: 'GET', route: '/a' }, { method: 'POST', route: '/b', statusCode: 201 }]);
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
    expect(les).to.deep.equal(['0.005', '0.01', '0.025', '0.05', '0.075', '0.1', '0.25', '0.5', '0.75', '1', '2.5', '5', '7.5', '10', '+Inf']);
  });
});
