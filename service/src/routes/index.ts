// The API router: every simulated route, plus the admin endpoint when enabled.
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Config } from '../config.ts';
import { rejectBody } from '../http/validate.ts';
import type { KnownRoute } from '../metrics/red-metrics.ts';
import { adminRoutes } from './admin.ts';
import { checkoutRoutes } from './checkout.ts';
import type { RouteDeps } from './deps.ts';
import { itemRoutes } from './items.ts';
import { orderRoutes } from './orders.ts';

export function apiRouter(deps: Omit<RouteDeps, 'parseJson'>, config: Pick<Config, 'adminToken' | 'bodyLimitBytes'>): Router {
  const router = new Router();
  const parseJson = bodyParser({ enableTypes: ['json'], jsonLimit: config.bodyLimitBytes, jsonStrict: true, onError: rejectBody });
  const withJson = { ...deps, parseJson };
  itemRoutes(router, withJson);
  orderRoutes(router, withJson);
  checkoutRoutes(router, withJson);
  adminRoutes(router, withJson, config.adminToken);
  return router;
}

/** Each route's method and template, for creating its metric series at start-up. */
export function knownRoutes(router: Router): KnownRoute[] {
  return router.stack.flatMap((layer) =>
    layer.methods
      .filter((method) => method !== 'HEAD')
      .map((method) => ({ method, route: String(layer.path), statusCode: method === 'POST' && layer.name === 'create_order' ? 201 : 200 })),
  );
}
