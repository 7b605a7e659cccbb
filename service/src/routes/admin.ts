// /admin/simulation: change a route's latency and error rate at run time, for demos of an
// alert firing. Off unless a token is configured; every value is bounded.
import { timingSafeEqual } from 'node:crypto';
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { z } from 'zod';
import { HttpError } from '../http/errors.ts';
import { jsonBody, parseWith } from '../http/validate.ts';
import { routeProfileSchema, SIMULATED_ROUTES, type SimulatedRoute } from '../simulation/profiles.ts';
import type { RouteDeps } from './deps.ts';

const profilePatch = z
  .object({ medianMs: z.number(), p99Ms: z.number(), errorRate: z.number() })
  .partial()
  .strict();

function requireToken(token: string): Middleware {
  const expected = Buffer.from(`Bearer ${token}`);
  return async (ctx, next) => {
    const given = Buffer.from(ctx.get('authorization'));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new HttpError(401, 'missing or wrong bearer token');
    }
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
