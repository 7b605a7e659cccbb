// The simulated behaviour of each API route: how long it takes and how often it fails.
import { z } from 'zod';

export interface RouteProfile {
  /** Median latency in milliseconds. */
  medianMs: number;
  /** 99th percentile latency in milliseconds (>= medianMs). */
  p99Ms: number;
  /** Probability in [0, 1] that a request fails with a server error. */
  errorRate: number;
}

export const SIMULATED_ROUTES = ['list_items', 'get_item', 'create_order', 'get_order', 'checkout'] as const;
export type SimulatedRoute = (typeof SIMULATED_ROUTES)[number];

/** Defaults shaped like a small shop: reads are fast, checkout waits on a payment provider. */
export const DEFAULT_PROFILES: Readonly<Record<SimulatedRoute, RouteProfile>> = {
  list_items: { medianMs: 20, p99Ms: 150, errorRate: 0.002 },
  get_item: { medianMs: 8, p99Ms: 80, errorRate: 0.001 },
  create_order: { medianMs: 40, p99Ms: 400, errorRate: 0.005 },
  get_order: { medianMs: 10, p99Ms: 100, errorRate: 0.001 },
  checkout: { medianMs: 120, p99Ms: 1200, errorRate: 0.02 },
};

/** Bounds for every profile value, from the environment or the admin endpoint alike. */
export const MAX_LATENCY_MS = 30_000;

export const routeProfileSchema = z
  .object({
    medianMs: z.number().min(0).max(MAX_LATENCY_MS),
    p99Ms: z.number().min(0).max(MAX_LATENCY_MS),
    errorRate: z.number().min(0).max(1),
  })
  .strict()
  .refine((p) => p.p99Ms >= p.medianMs, { message: 'p99Ms must be >= medianMs', path: ['p99Ms'] });
