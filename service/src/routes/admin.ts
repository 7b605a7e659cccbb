// /admin/simulation: change a route's latency and error rate at run time, for demos of an
// alert firing. Off unless a token is configured; every value is bounded.
import { timingSafeEqual } from 'node:crypto';
import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import { HttpError } from '../http/errors.ts';
import { jsonBody, parseWith } from '../http/validate.ts';
import { routeProfileSchema, SIMULATED_ROUTES, type SimulatedRoute } from '../simulation/profiles.ts';
import type { RouteDeps } from './deps.ts';

const profilePatch = z.object({ medianMs: z.number(), p99Ms: z.number(), errorRate: z.number() }).partial().strict();

/** Where the admin endpoint lives: every path under it needs the token, whatever the method. */
export const ADMIN_PREFIX = '/admin/';

const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="redline-admin"' };

/** Throws unless the request carries exactly one `Authorization: Bearer <token>`. */
function checkToken(ctx: Context, expected: Buffer): void {
  const { rawHeaders } = ctx.req;
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === 'authorization') count += 1;
  // Node keeps only the first of repeated Authorization headers; a proxy may keep the last.
  // Refuse rather than guess which one was meant.
  if (count > 1) throw new HttpError(400, 'more than one Authorization header');
  const given = Buffer.from(ctx.get('authorization'));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new HttpError(401, 'missing or wrong bearer token', undefined, CHALLENGE);
  }
}

function requireToken(token: string): Middleware {
  const expected = Buffer.from(`Bearer ${token}`);
  return async (ctx, next) => {
    checkToken(ctx, expected);
    return next();
  };
}

/**
 * For admin paths the router did not serve (an OPTIONS, a method no admin route has): without
 * the token the answer is 401, so the Allow list of a 204 or 405 tells nothing to strangers.
 */
export function guardAdminPaths(token: string): Middleware {
  const expected = Buffer.from(`Bearer ${token}`);
  return async (ctx, next) => {
    if (ctx.path.startsWith(ADMIN_PREFIX) || ctx.path === ADMIN_PREFIX.slice(0, -1)) checkToken(ctx, expected);
    return next();
  };
}

function routeParam(value: string | undefined): SimulatedRoute {
  if (!SIMULATED_ROUTES.includes(value as SimulatedRoute)) {
    throw new HttpError(404, `unknown route; one of ${SIMULATED_ROUTES.join(', ')}`);
  }
  return value as SimulatedRoute;
}

export function adminRoutes(router: Router, { simulator, parseJson }: RouteDeps, token: string | undefined): void {
  if (!token) return;
  const guard = requireToken(token);
  router.get('admin_list', '/admin/simulation', guard, (ctx) => {
    ctx.body = simulator.all();
  });
  router.put('admin_set', '/admin/simulation/:route', guard, parseJson, (ctx) => {
    const route = routeParam(ctx.params.route);
    const patch = jsonBody(ctx, profilePatch);
    const profile = parseWith(routeProfileSchema, { ...simulator.profile(route), ...patch }, 'simulation profile (out of bounds)');
    ctx.body = simulator.set(route, profile);
  });
  router.delete('admin_reset', '/admin/simulation', guard, (ctx) => {
    simulator.reset();
    ctx.body = simulator.all();
  });
}
