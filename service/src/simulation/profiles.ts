// The simulated behaviour of each API route: how long it takes and how often it fails.
import { z } from 'zod';
import { MAX_LATENCY_MS, type SimulatedRoute } from './env-spec.ts';

export interface RouteProfile {
  /** Median latency in milliseconds. */
  medianMs: number;
  /** 99th percentile latency in milliseconds (>= medianMs). */
  p99Ms: number;
  /** Probability in [0, 1] that a request fails with a server error. */
  errorRate: number;
}

// The route names and the latency bound are part of the SIM_* variables' spec (dependency-free,
// so the chart's schema generator can read it).
export { MAX_LATENCY_MS, SIMULATED_ROUTES, type SimulatedRoute } from './env-spec.ts';

/**
 * Defaults shaped like a small, healthy shop: reads are fast, checkout waits on a payment
 * provider. Under the load generator's mix they stay well inside the chart's SLOs (about
 * 0.06% errors against 99.9%, 0.5% slower than 0.5 s against 99%), so nominal traffic fires
 * no alert; the admin endpoint is how a demo breaks them.
 */
export const DEFAULT_PROFILES: Readonly<Record<SimulatedRoute, RouteProfile>> = {
  list_items: { medianMs: 20, p99Ms: 150, errorRate: 0.0005 },
  get_item: { medianMs: 8, p99Ms: 80, errorRate: 0.0002 },
  create_order: { medianMs: 40, p99Ms: 400, errorRate: 0.001 },
  get_order: { medianMs: 10, p99Ms: 100, errorRate: 0.0002 },
  checkout: { medianMs: 120, p99Ms: 1200, errorRate: 0.003 },
};

/**
 * Largest p99/median ratio. The log-normal's spread grows with it: past about 1 000 the
 * distribution degenerates into "instant or MAX_LATENCY_MS" (median 5e-324 ms with p99 30 s
 * gave sigma 320), which is no latency profile at all.
 */
export const MAX_LATENCY_SPREAD = 1_000;

/** Why a median/p99 pair is not a usable profile, or undefined when it is. */
export function spreadProblem({ medianMs, p99Ms }: { medianMs: number; p99Ms: number }): string | undefined {
  if (medianMs === 0) return p99Ms === 0 ? undefined : 'must be 0 when the median is 0';
  return p99Ms <= medianMs * MAX_LATENCY_SPREAD ? undefined : `must be at most ${MAX_LATENCY_SPREAD} x the median`;
}

export const routeProfileSchema = z
  .object({
    medianMs: z.number().min(0).max(MAX_LATENCY_MS),
    p99Ms: z.number().min(0).max(MAX_LATENCY_MS),
    errorRate: z.number().min(0).max(1),
  })
  .strict()
  .refine((p) => p.p99Ms >= p.medianMs, { message: 'p99Ms must be >= medianMs', path: ['p99Ms'] })
  .superRefine((p, ctx) => {
    const problem = spreadProblem(p);
    if (problem) ctx.addIssue({ code: 'custom', message: `p99Ms ${problem}`, path: ['p99Ms'] });
  });
