// Applies a route's profile to a request: waits a sampled latency, then decides whether the
// request fails. Profiles can be changed at run time (the admin endpoint) within bounds.
import { setTimeout as sleep } from 'node:timers/promises';
import { logNormalSampler, seededUniform, type Uniform } from './random.ts';
import { MAX_LATENCY_MS, routeProfileSchema, type RouteProfile, type SimulatedRoute } from './profiles.ts';

export interface Outcome {
  latencyMs: number;
  fail: boolean;
}

export class Simulator {
  private readonly uniform: Uniform;
  private readonly profiles = new Map<SimulatedRoute, RouteProfile>();
  private readonly samplers = new Map<SimulatedRoute, () => number>();
  private readonly initial: Record<SimulatedRoute, RouteProfile>;

  constructor(profiles: Record<SimulatedRoute, RouteProfile>, seed?: number) {
    this.uniform = seed === undefined ? Math.random : seededUniform(seed);
    this.initial = structuredClone(profiles);
    for (const [route, profile] of Object.entries(profiles) as [SimulatedRoute, RouteProfile][]) this.set(route, profile);
  }

  profile(route: SimulatedRoute): RouteProfile {
    return { ...this.profiles.get(route)! };
  }

  all(): Record<string, RouteProfile> {
    return Object.fromEntries([...this.profiles].map(([route, profile]) => [route, { ...profile }]));
  }

  /** Replaces a route's profile; throws a ZodError when a value is out of bounds. */
  set(route: SimulatedRoute, profile: RouteProfile): RouteProfile {
    const valid = routeProfileSchema.parse(profile);
    this.profiles.set(route, valid);
    this.samplers.set(route, logNormalSampler(valid.medianMs, valid.p99Ms, this.uniform, MAX_LATENCY_MS));
    return { ...valid };
  }

  reset(): void {
    for (const [route, profile] of Object.entries(this.initial) as [SimulatedRoute, RouteProfile][]) this.set(route, profile);
  }

  /** Draws one request's fate without waiting. */
  draw(route: SimulatedRoute): Outcome {
    const latencyMs = this.samplers.get(route)!();
    return { latencyMs, fail: this.uniform() < this.profiles.get(route)!.errorRate };
  }

  /** Waits the drawn latency; resolves to whether the request should fail. */
  async run(route: SimulatedRoute): Promise<boolean> {
    const { latencyMs, fail } = this.draw(route);
    if (latencyMs >= 1) await sleep(latencyMs);
    return fail;
  }
}
