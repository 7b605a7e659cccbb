// The API router: every simulated route, plus the admin endpoint when enabled.
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Config } from '../config.ts';
import { rejectBody } from '../http/validate.ts';
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
