// The API router: every simulated route, plus the admin endpoint when enabled.
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Config } from '../config.ts';
import type { Middleware } from 'koa';
import { HttpError } from '../http/errors.ts';
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
    refuseUnboundedEncodings(ctx.get('content-encoding'));
    return parse(ctx, next);
  };
  const withJson = { ...deps, parseJson };
  itemRoutes(router, withJson);
  orderRoutes(router, withJson);
  checkoutRoutes(router, withJson);
  adminRoutes(router, withJson, config.adminToken);
  return router;
}

/**
 * Request body encodings whose decoder memory is bounded: zlib's inflate needs a 32 KiB window
 * whatever the stream says. A brotli stream picks its own window, up to 16 MiB, allocated
 * before the body limit can fire (100 concurrent 53-byte bodies took the process past 256 MiB),
 * so `br`, like any encoding not listed, is refused with 415.
 */
export const ACCEPTED_BODY_ENCODINGS = ['identity', 'gzip', 'deflate'];

function refuseUnboundedEncodings(header: string): void {
  const encoding = header.trim().toLowerCase();
  if (encoding === '' || ACCEPTED_BODY_ENCODINGS.includes(encoding)) return;
  const accepted = ACCEPTED_BODY_ENCODINGS.join(', ');
  throw new HttpError(415, `unsupported Content-Encoding; use one of ${accepted}`, undefined, { 'Accept-Encoding': accepted });
}
