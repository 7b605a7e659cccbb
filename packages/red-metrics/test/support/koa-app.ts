// A small Koa app using the package as a service would: prom-client's default metrics, the RED
// middleware with a router's routes at zero, /metrics in every format. Native histograms are on
// unless `METRICS_NATIVE_HISTOGRAMS: 'false'` (the service's own switch, read the same way).
import Router from '@koa/router';
import Koa from 'koa';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { listen } from '../../../../test/support/listen.ts';
import { metricsEndpoint, RedMetrics, redMiddleware } from '../../src/koa.ts';

export async function serveApp(env: { METRICS_NATIVE_HISTOGRAMS?: string } = {}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = new RedMetrics(registry, { nativeHistograms: env.METRICS_NATIVE_HISTOGRAMS !== 'false' });
  const router = new Router();
  router.get('/api/items/:id', (ctx) => {
    ctx.body = { id: ctx.params.id };
  });
  const app = new Koa();
  app.use(metricsEndpoint(registry));
  app.use(redMiddleware(metrics, { routers: [router] }));
  app.use(router.routes()).use(router.allowedMethods());
  const server = await listen(app);
  const json = async (path: string) => {
    const response = await fetch(server.url + path);
    return { status: response.status, body: (await response.json()) as unknown };
  };
  return { app, registry, metrics, server, json };
}
