// The one place that reads the environment. Everything else takes a plain Config.
import { z } from 'zod';
import { DEFAULT_PROFILES, SIMULATED_ROUTES, type RouteProfile, type SimulatedRoute } from './simulation/profiles.ts';

export interface Config {
  host: string;
  port: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Pause between readiness going 503 and the listener closing (endpoints catch up). */
  shutdownDelayMs: number;
  /** Upper bound for draining in-flight requests after SIGTERM. */
  shutdownTimeoutMs: number;
  keepAliveTimeoutMs: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  bodyLimitBytes: number;
  /** The admin endpoint is on only when a token is set. */
  adminToken: string | undefined;
  simulation: { seed: number | undefined; profiles: Record<SimulatedRoute, RouteProfile> };
  /** Keep native (exponential) histograms of request durations, served over protobuf. */
  metrics: { nativeHistograms: boolean };
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

/** Exit code for bad configuration (sysexits' EX_CONFIG). */
export const EXIT_CONFIG = 78;

const integer = (min: number, max: number, fallback: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be >= ${min}`).max(max, `must be <= ${max}`))
    .optional()
    .transform((value) => value ?? fallback);

const decimal = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, 'must be a number')
    .transform(Number)
    .pipe(z.number().min(min, `must be >= ${min}`).max(max, `must be <= ${max}`))
    .optional();

const boolean = (fallback: boolean) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['true', 'false', '1', '0'], 'must be true or false'))
    .optional()
    .transform((value) => (value === undefined ? fallback : value === 'true' || value === '1'));

const envSchema = z.object({
  HOST: z.string().trim().min(1).default('0.0.0.0'),
  PORT: integer(1, 65_535, 8080),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_DELAY_MS: integer(0, 60_000, 0),
  SHUTDOWN_TIMEOUT_MS: integer(100, 300_000, 10_000),
  KEEP_ALIVE_TIMEOUT_MS: integer(1_000, 600_000, 5_000),
  HEADERS_TIMEOUT_MS: integer(1_000, 600_000, 10_000),
  REQUEST_TIMEOUT_MS: integer(1_000, 600_000, 30_000),
  BODY_LIMIT_BYTES: integer(64, 10 * 1024 * 1024, 16 * 1024),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  SIM_SEED: integer(0, 2 ** 32 - 1, -1),
  SIM_ERROR_RATE: decimal(0, 1),
  SIM_LATENCY_FACTOR: decimal(0, 100),
  METRICS_NATIVE_HISTOGRAMS: boolean(true),
});

/** Every variable the service reads, besides the per-route simulation ones below. */
export const CONFIG_ENV_KEYS = Object.keys(envSchema.shape);

/** SIM_<ROUTE>_MEDIAN_MS, SIM_<ROUTE>_P99_MS and SIM_<ROUTE>_ERROR_RATE for each simulated route. */
function routeKeys(route: SimulatedRoute) {
  const prefix = `SIM_${route.toUpperCase()}`;
  return { median: `${prefix}_MEDIAN_MS`, p99: `${prefix}_P99_MS`, errorRate: `${prefix}_ERROR_RATE` };
}

export const SIMULATION_ENV_KEYS = SIMULATED_ROUTES.flatMap((route) => Object.values(routeKeys(route)));

function problemsOf(error: z.ZodError, env: Record<string, string | undefined>): string[] {
  return error.issues.map((issue) => {
    const key = String(issue.path[0] ?? '');
    const shown = env[key] === undefined ? '' : ` (got ${JSON.stringify(env[key])})`;
    return `${key}: ${issue.message}${shown}`;
  });
}

function simulationProfiles(env: Record<string, string | undefined>, globalErrorRate?: number, factor = 1) {
  const problems: string[] = [];
  const profiles = {} as Record<SimulatedRoute, RouteProfile>;
  for (const route of SIMULATED_ROUTES) {
    const keys = routeKeys(route);
    const schema = z.object({
      [keys.median]: decimal(0, 30_000),
      [keys.p99]: decimal(0, 30_000),
      [keys.errorRate]: decimal(0, 1),
    });
    const parsed = schema.safeParse(env);
    if (!parsed.success) {
      problems.push(...problemsOf(parsed.error, env));
      continue;
    }
    const base = DEFAULT_PROFILES[route];
    const medianMs = parsed.data[keys.median] ?? base.medianMs * factor;
    const p99Ms = parsed.data[keys.p99] ?? Math.max(base.p99Ms * factor, medianMs);
    if (p99Ms < medianMs) problems.push(`${keys.p99}: must be >= ${keys.median} (${p99Ms} < ${medianMs})`);
    profiles[route] = { medianMs, p99Ms, errorRate: parsed.data[keys.errorRate] ?? globalErrorRate ?? base.errorRate };
  }
  return { profiles, problems };
}

/** Reads and validates the configuration; throws a ConfigError listing every problem. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty variable means "not set", as in most container tooling.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = envSchema.safeParse(present);
  const problems = parsed.success ? [] : problemsOf(parsed.error, present);
  const simulation = simulationProfiles(present, parsed.data?.SIM_ERROR_RATE, parsed.data?.SIM_LATENCY_FACTOR);
  problems.push(...simulation.problems);
  if (parsed.success && parsed.data.HEADERS_TIMEOUT_MS > parsed.data.REQUEST_TIMEOUT_MS) {
    problems.push('HEADERS_TIMEOUT_MS: must be <= REQUEST_TIMEOUT_MS (Node refuses otherwise)');
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  return {
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    shutdownDelayMs: e.SHUTDOWN_DELAY_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    keepAliveTimeoutMs: e.KEEP_ALIVE_TIMEOUT_MS,
    headersTimeoutMs: e.HEADERS_TIMEOUT_MS,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    adminToken: e.ADMIN_TOKEN,
    simulation: { seed: e.SIM_SEED < 0 ? undefined : e.SIM_SEED, profiles: simulation.profiles },
    metrics: { nativeHistograms: e.METRICS_NATIVE_HISTOGRAMS },
  };
}
