// The SIM_* environment variables: their names and ranges, in one place. config.ts validates
// the environment with them, and hack/chart-schema.ts generates the chart's schema for
// `simulation.env` from them, so the chart rejects what the service would refuse.
// No imports: scripts/ may only share dependency-free modules with the service.

export const SIMULATED_ROUTES = ['list_items', 'get_item', 'create_order', 'get_order', 'checkout'] as const;
export type SimulatedRoute = (typeof SIMULATED_ROUTES)[number];

/** Bounds for every profile value, from the environment or the admin endpoint alike. */
export const MAX_LATENCY_MS = 30_000;

export interface SimulationVariable {
  /** integer: digits only; decimal: digits with an optional fraction (no sign, no exponent). */
  kind: 'integer' | 'decimal';
  min: number;
  max: number;
  description: string;
}

/** SIM_<ROUTE>_MEDIAN_MS, SIM_<ROUTE>_P99_MS and SIM_<ROUTE>_ERROR_RATE of a simulated route. */
export function routeVariableNames(route: SimulatedRoute) {
  const prefix = `SIM_${route.toUpperCase()}`;
  return { median: `${prefix}_MEDIAN_MS`, p99: `${prefix}_P99_MS`, errorRate: `${prefix}_ERROR_RATE` };
}

const routeVariables = SIMULATED_ROUTES.flatMap((route): [string, SimulationVariable][] => {
  const names = routeVariableNames(route);
  return [
    [names.median, { kind: 'decimal', min: 0, max: MAX_LATENCY_MS, description: `Median latency of ${route} in ms.` }],
    [
      names.p99,
      { kind: 'decimal', min: 0, max: MAX_LATENCY_MS, description: `99th percentile latency of ${route} in ms (>= its median).` },
    ],
    [names.errorRate, { kind: 'decimal', min: 0, max: 1, description: `Share of ${route} requests that fail with a 5xx.` }],
  ];
});

/** Every SIM_* variable the service reads. Any other SIM_* name is a mistake. */
export const SIMULATION_VARIABLES: Readonly<Record<string, SimulationVariable>> = {
  SIM_SEED: {
    kind: 'integer',
    min: 0,
    max: 2 ** 32 - 1,
    description: 'Seed of the simulation: the same seed repeats the same latencies and errors.',
  },
  SIM_ERROR_RATE: {
    kind: 'decimal',
    min: 0,
    max: 1,
    description: 'Share of requests that fail with a 5xx, on every route without its own.',
  },
  SIM_LATENCY_FACTOR: { kind: 'decimal', min: 0, max: 100, description: 'Multiplies every default latency (2 = twice as slow).' },
  ...Object.fromEntries(routeVariables),
};

/** The range of a variable by name; throws for a name that is not in SIMULATION_VARIABLES. */
export function simulationVariable(name: string): SimulationVariable {
  const variable = SIMULATION_VARIABLES[name];
  if (!variable) throw new Error(`${name} is not a simulation variable`);
  return variable;
}
