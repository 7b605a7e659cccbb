// The API router: every simulated route, plus the admin endpoint when enabled.
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Config } from '../config.ts';
import type { Middleware } from 'koa';
import { acceptedEncoding } from '../http/body-encoding.ts';
import { rejectBody } from '../http/validate.ts';
import { adminRoutes } from './admin.ts';
import { checkoutRoutes } from './checkout.ts';
import type { RouteDeps } from './deps.ts';
import { itemRoutes } from './items.ts';
import { orderRoutes } from './orders.ts';

export function apiRouter(deps: Omit<RouteDeps, 'parseJson'>, config: Pick<Config, 'adminToken' | 'bodyLimitBytes'>): Router {
  const router = new Router();
  const parse = bodyParser({ enableTypes: ['json'], jsonLimit: config.bodyLimitBytes, jsonStrict: true, onError: rejectBody });
  const parseJson: Middleware = (ctx, next) => {
    // Normalised for the decoder, which matches the coding case-sensitively.
    const encoding = acceptedEncoding(ctx.get('content-encoding'));
    if (encoding) ctx.req.headers['content-encoding'] = encoding;
    return parse(ctx, next);
  };
  const withJson = { ...deps, parseJson };
  itemRoutes(router, withJson);
  orderRoutes(router, withJson);
  checkoutRoutes(router, withJson);
  adminRoutes(router, withJson, config.adminToken);
  return router;
}
