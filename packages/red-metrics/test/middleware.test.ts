import { PassThrough } from 'node:stream';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import Router from '@koa/router';
import { expect } from 'chai';
import Koa from 'koa';
import { Registry } from 'prom-client';
import { RedMetrics, redMiddleware, routesOf, usualStatus } from '../src/koa.ts';
import { listen, samples, type Listening } from '../../../test/support/listen.ts';
import { eventually } from './support/eventually.ts';

/** A small app of its own: the middleware must work in any Koa app, not only redline's. */
function testApp(unmatchedRoute?: string) {
  const registry = new Registry();
  const metrics = new RedMetrics(registry);
  const app = new Koa();
  app.silent = true;
  const router = new Router();
  app.use(redMiddleware(metrics, { routers: [router], ...(unmatchedRoute ? { unmatchedRoute } : {}) }));
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
  router.post(
    '/users',
    usualStatus(201, (ctx: Koa.Context) => {
      ctx.status = 201;
    }),
  );
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
      expect(await count('http_request_errors_total', { route: '/unavailable', status_code: '503', error_type: 'server_error' })).to.equal(
        1,
      ),
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
    const templates = ['/users/:id', '/users', '/boom', '/teapot', '/unavailable', '/slow', '/stream'];
    for (const s of series) expect(String(s.labels.route)).to.be.oneOf(['unmatched', ...templates]);
  });

  it("creates the series of every route of the routers it is given at zero, with each route's usual status", async () => {
    const text = await registry.metrics();
    expect(text).to.include('http_requests_total{method="GET",route="/users/:id",status_code="200"} 0');
    expect(text).to.include('http_requests_total{method="POST",route="/users",status_code="201"} 0');
    expect(text).not.to.match(/method="HEAD"/);
    expect(text).to.include('http_request_duration_seconds_count{method="POST",route="/users",status_code="201"} 0');
  });

  it('keeps the route template of a path that exists but not for this method (405)', async () => {
    const response = await fetch(`${server.url}/users/7`, { method: 'DELETE' });
    expect(response.status).to.equal(405);
    await eventually(async () =>
      expect(await count('http_requests_total', { method: 'DELETE', route: '/users/:id', status_code: '405' })).to.equal(1),
    );
    expect(await count('http_requests_total', { route: 'unmatched' })).to.equal(0);
  });
});

describe('metrics/middleware options', () => {
  it('labels unmatched requests with the configured value', async () => {
    const made = testApp('__unknown__');
    const server = await listen(made.app);
    try {
      await (await fetch(`${server.url}/nope`)).text();
      await eventually(async () =>
        expect(
          (await samples(made.registry, 'http_requests_total')).some(
            (s) => s.labels.route === '__unknown__' && String(s.labels.status_code) === '404',
          ),
        ).to.equal(true),
      );
      expect((await samples(made.registry, 'http_requests_total')).some((s) => s.labels.route === 'unmatched')).to.equal(false);
    } finally {
      await server.close();
    }
  });

  it('hands the middlewares before it what the handlers threw, unchanged, and only once they have settled', async () => {
    const registry = new Registry();
    const metrics = new RedMetrics(registry);
    const thrown = new Error('from the handler');
    const seen: { error: unknown; inFlight: number | undefined; handlerDone: boolean }[] = [];
    let handlerDone = false;
    const app = new Koa();
    app.silent = true;
    app.use(async (ctx, next) => {
      try {
        await next();
      } catch (error) {
        seen.push({ error, inFlight: (await samples(registry, 'http_requests_in_flight'))[0]?.value, handlerDone });
        ctx.status = 502;
      }
    });
    app.use(redMiddleware(metrics));
    app.use(async () => {
      await sleep(30);
      handlerDone = true;
      throw thrown;
    });
    const server = await listen(app);
    try {
      expect((await fetch(`${server.url}/x`)).status).to.equal(502);
      expect(seen).to.have.length(1);
      expect(seen[0]!.error).to.equal(thrown); // the same object, not a copy or a wrapper
      expect(seen[0]!.handlerDone).to.equal(true);
      // The handlers have returned; the response is still open: in flight until it closes.
      expect(seen[0]!.inFlight).to.equal(1);
      await eventually(async () => {
        const errors = await samples(registry, 'http_request_errors_total');
        expect(errors.map((s) => [s.labels.status_code, s.labels.error_type, s.value])).to.deep.equal([['502', 'exception', 1]]);
      });
      expect((await samples(registry, 'http_requests_in_flight'))[0]?.value).to.equal(0);
    } finally {
      await server.close();
    }
  });

  it('resolves once the handlers have, so the middlewares before it see their answer', async () => {
    const metrics = new RedMetrics(new Registry());
    const app = new Koa();
    app.silent = true;
    app.use(async (ctx, next) => {
      await next();
      ctx.set('x-seen-body', String(ctx.body));
    });
    app.use(redMiddleware(metrics));
    app.use(async (ctx) => {
      await sleep(20);
      ctx.body = 'late';
    });
    const server = await listen(app);
    try {
      const response = await fetch(`${server.url}/`);
      expect(await response.text()).to.equal('late');
      expect(response.headers.get('x-seen-body')).to.equal('late');
    } finally {
      await server.close();
    }
  });

  it("reads routes through the router's public layers, skipping router.use() and RegExp paths", () => {
    const router = new Router();
    router.use('/a', (_ctx, next) => next());
    router.get(/^\/re/, (ctx) => {
      ctx.body = 're';
    });
    router.put('/a/:id', (ctx) => {
      ctx.body = 'a';
    });
    expect(routesOf(router)).to.deep.equal([{ method: 'PUT', route: '/a/:id', statusCode: 200 }]);
  });
});
