// Composes the Koa application. Order matters: probes answer before the RED middleware so they
// never count as traffic (it answers /metrics itself, unrecorded, when /metrics has no port of
// its own); errors become JSON outside of it so it sees what was thrown, and it reads the final
// status when the response closes.
import Koa from 'koa';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { OrderStore } from './catalogue/orders.ts';
import type { Config } from './config.ts';
import { closeConnectionsWhileDraining, healthEndpoints, type Readiness } from './health.ts';
import { jsonErrors, methodNotAllowed, notFound } from './http/errors.ts';
import { requestLog } from './http/request-log.ts';
import type { Logger } from './logger.ts';
import { guardAdminPaths } from './routes/admin.ts';
import { apiRouter } from './routes/index.ts';
import { RedMetrics, redMiddleware, type ScrapeEndpoint, scrapeEndpoint } from '@redline/red-metrics/koa';
import { Simulator } from './simulation/simulator.ts';

export interface AppDeps {
  config: Config;
  logger: Logger;
  readiness: Readiness;
  registry?: Registry;
  simulator?: Simulator;
}

export function createApp({ config, logger, readiness, registry = new Registry(), simulator }: AppDeps) {
  collectDefaultMetrics({ register: registry });
  const metrics = new RedMetrics(registry, { nativeHistograms: config.metrics.nativeHistograms });
  const sim = simulator ?? new Simulator(config.simulation.profiles, config.simulation.seed);
  const router = apiRouter({ simulator: sim, orders: new OrderStore() }, config);

  const app = new Koa();
  app.silent = true; // jsonErrors logs what matters; Koa's default would print stacks to stderr
  app.use(requestLog(logger));
  app.use(jsonErrors(logger));
  app.use(closeConnectionsWhileDraining(readiness));
  app.use(healthEndpoints(readiness));
  // On its own port /metrics is out of the API's reach (and a NetworkPolicy can admit only
  // the scrapers), and the API's requests cross no scrape check at all; without one the RED
  // middleware answers it (one middleware for both, not two).
  const scrape = scrapeEndpoint(registry);
  const metricsApp = config.metricsPort === undefined ? undefined : scrapeApp(scrape);
  app.use(redMiddleware(metrics, { routers: [router], ...(metricsApp ? {} : { scrape }) }));
  app.use(router.routes());
  if (config.adminToken) app.use(guardAdminPaths(config.adminToken));
  app.use(methodNotAllowed);
  app.use(notFound);
  return { app, metricsApp, registry, metrics, simulator: sim };
}

function scrapeApp(scrape: ScrapeEndpoint): Koa {
  const app = new Koa();
  app.silent = true;
  app.use(scrape.middleware());
  app.use(notFound);
  return app;
}
