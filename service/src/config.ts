// The one place that reads the environment. Everything else takes a plain Config.
import { z } from 'zod';
import {
  DEFAULT_PROFILES,
  MAX_LATENCY_SPREAD,
  SIMULATED_ROUTES,
  spreadProblem,
  type RouteProfile,
  type SimulatedRoute,
} from './simulation/profiles.ts';
import { routeVariableNames, simulationVariable } from './simulation/env-spec.ts';

export interface Config {
  host: string;
  port: number;
  /** Port of the separate /metrics listener; undefined serves /metrics on `port`. */
  metricsPort: number | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Pause between readiness going 503 and the listener closing (endpoints catch up). */
  shutdownDelayMs: number;
  /** Upper bound for draining in-flight requests after SIGTERM. */
  shutdownTimeoutMs: number;
  keepAliveTimeoutMs: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  bodyLimitBytes: number;
  /** Requests in flight across all connections; past it new requests get 503 + Retry-After. */
  maxRequestsInFlight: number;
  /** Requests in flight on one connection (pipelined); past it the connection is closed. */
  maxPipelinedRequests: number;
  /** Open connections; past it new ones are closed as soon as they are accepted. */
  maxConnections: number;
  /** A connection whose pending output makes no progress this long is closed. */
  sendTimeoutMs: number;
  /** Requests whose body is still arriving (they hold no API slot); past it the oldest gets 408. */
  maxBodiesWaiting: number;
  /** Time from a request's headers to the end of its body (nginx's client_body_timeout); 408 past it. */
  bodyTimeoutMs: number;
  /** Bytes on the wire for one request's body, chunk framing and extensions included; 413 past it. */
  maxRequestWireBytes: number;
  /** Log bytes waiting for stdout; lines past it are dropped and counted. */
  logBufferBytes: number;
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

/**
 * Readiness is 503 this long after SIGTERM while the service keeps serving, so load balancers
 * stop sending before the listener closes. SIGINT skips it.
 */
export const DEFAULT_SHUTDOWN_DELAY_MS = 3_000;

/**
 * A body must arrive within this of its headers, a third of the default request timeout: a
 * 16 KiB body then needs 1.6 KB/s, and a slow body frees its slot three times sooner.
 */
export const DEFAULT_BODY_TIMEOUT_MS = 10_000;

/**
 * Room on the wire for a body at BODY_LIMIT_BYTES: chunked framing costs a few bytes per chunk
 * (4x covers 1-byte chunks' "1\r\nx\r\n" at 6x only for bodies under a quarter of the limit;
 * such clients are not legitimate), plus 64 KiB for trailers and a few chunk extensions.
 */
export const defaultWireBytes = (bodyLimitBytes: number) => 4 * bodyLimitBytes + 64 * 1024;

/** Exit code for bad configuration (sysexits' EX_CONFIG). */
export const EXIT_CONFIG = 78;

// Every message names the whole range, whichever bound was crossed or whatever was typed.
const between = (min: number, max: number) => `between ${min} and ${max}`;

const integer = (min: number, max: number, fallback: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, `must be a whole number ${between(min, max)}`)
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, `must be ${between(min, max)}`)
        .max(max, `must be ${between(min, max)}`),
    )
    .optional()
    .transform((value) => value ?? fallback);

const decimal = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+(\.\d+)?$/, `must be a number ${between(min, max)}`)
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, `must be ${between(min, max)}`)
        .max(max, `must be ${between(min, max)}`),
    )
    .optional();

const boolean = (fallback: boolean) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['true', 'false', '1', '0'], 'must be true or false'))
    .optional()
    .transform((value) => (value === undefined ? fallback : value === 'true' || value === '1'));

/** A SIM_* variable, in the range simulation/env-spec.ts gives it (the chart's schema has the same). */
const simulationDecimal = (name: string) => decimal(simulationVariable(name).min, simulationVariable(name).max);
const simulationInteger = (name: string, fallback: number) => integer(simulationVariable(name).min, simulationVariable(name).max, fallback);

const envSchema = z.object({
  HOST: z.string().trim().min(1).default('0.0.0.0'),
  PORT: integer(1, 65_535, 8080),
  METRICS_PORT: integer(0, 65_535, 0),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_DELAY_MS: integer(0, 60_000, DEFAULT_SHUTDOWN_DELAY_MS),
  SHUTDOWN_TIMEOUT_MS: integer(100, 300_000, 10_000),
  KEEP_ALIVE_TIMEOUT_MS: integer(1_000, 600_000, 5_000),
  HEADERS_TIMEOUT_MS: integer(1_000, 600_000, 10_000),
  REQUEST_TIMEOUT_MS: integer(1_000, 600_000, 30_000),
  BODY_LIMIT_BYTES: integer(64, 10 * 1024 * 1024, 16 * 1024),
  MAX_REQUESTS_IN_FLIGHT: integer(1, 100_000, 1_024),
  MAX_PIPELINED_REQUESTS: integer(1, 100_000, 16),
  MAX_CONNECTIONS: integer(1, 1_000_000, 4_096),
  SEND_TIMEOUT_MS: integer(1_000, 600_000, 10_000),
  MAX_BODIES_WAITING: integer(1, 100_000, 256),
  // Unset: DEFAULT_BODY_TIMEOUT_MS, or REQUEST_TIMEOUT_MS when that is shorter.
  BODY_TIMEOUT_MS: integer(1_000, 600_000, 0),
  // 0: derived from BODY_LIMIT_BYTES (see below).
  MAX_REQUEST_WIRE_BYTES: integer(0, 1024 * 1024 * 1024, 0),
  LOG_BUFFER_BYTES: integer(16 * 1024, 256 * 1024 * 1024, 1024 * 1024),
  // Compared byte for byte with the Authorization header, which is ASCII: anything else could
  // never match (or would match a different byte sequence than the operator typed).
  ADMIN_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters')
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .optional(),
  SIM_SEED: simulationInteger('SIM_SEED', -1),
  SIM_ERROR_RATE: simulationDecimal('SIM_ERROR_RATE'),
  SIM_LATENCY_FACTOR: simulationDecimal('SIM_LATENCY_FACTOR'),
  METRICS_NATIVE_HISTOGRAMS: boolean(true),
});

/** Every variable the service reads, besides the per-route simulation ones below. */
export const CONFIG_ENV_KEYS = Object.keys(envSchema.shape);

export const SIMULATION_ENV_KEYS = SIMULATED_ROUTES.flatMap((route) => Object.values(routeVariableNames(route)));

/**
 * SIM_* variables the service does not know (a typo such as SIM_CHEKOUT_MEDIAN_MS would
 * otherwise be ignored without a word), each with the known name closest to it.
 */
export function unknownSimulationVariables(env: Record<string, string | undefined>): { name: string; closest: string }[] {
  const known = [...CONFIG_ENV_KEYS, ...SIMULATION_ENV_KEYS].filter((key) => key.startsWith('SIM_'));
  return Object.keys(env)
    .filter((name) => name.startsWith('SIM_') && !known.includes(name))
    .sort()
    .map((name) => ({ name, closest: known.reduce((best, key) => (editDistance(name, key) < editDistance(name, best) ? key : best)) }));
}

/** Levenshtein distance, for the suggestion above: two rows, names are short. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

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
    const keys = routeVariableNames(route);
    const schema = z.object({
      [keys.median]: simulationDecimal(keys.median),
      [keys.p99]: simulationDecimal(keys.p99),
      [keys.errorRate]: simulationDecimal(keys.errorRate),
    });
    const parsed = schema.safeParse(env);
    if (!parsed.success) {
      problems.push(...problemsOf(parsed.error, env));
      continue;
    }
    const base = DEFAULT_PROFILES[route];
    const medianMs = parsed.data[keys.median] ?? base.medianMs * factor;
    const p99Ms = parsed.data[keys.p99] ?? Math.min(Math.max(base.p99Ms * factor, medianMs), medianMs * MAX_LATENCY_SPREAD);
    if (p99Ms < medianMs) problems.push(`${keys.p99}: must be >= ${keys.median} (${p99Ms} < ${medianMs})`);
    const spread = spreadProblem({ medianMs, p99Ms });
    if (spread) problems.push(`${keys.p99}: ${spread}`);
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
  if (parsed.success && parsed.data.METRICS_PORT === parsed.data.PORT) {
    problems.push('METRICS_PORT: must differ from PORT (leave it unset to serve /metrics on PORT)');
  }
  if (parsed.success && parsed.data.HEADERS_TIMEOUT_MS > parsed.data.REQUEST_TIMEOUT_MS) {
    problems.push('HEADERS_TIMEOUT_MS: must be <= REQUEST_TIMEOUT_MS (Node refuses otherwise)');
  }
  if (parsed.success && parsed.data.BODY_TIMEOUT_MS !== 0 && parsed.data.BODY_TIMEOUT_MS > parsed.data.REQUEST_TIMEOUT_MS) {
    problems.push('BODY_TIMEOUT_MS: must be <= REQUEST_TIMEOUT_MS (the request timeout would fire first)');
  }
  if (parsed.success && parsed.data.MAX_REQUEST_WIRE_BYTES !== 0 && parsed.data.MAX_REQUEST_WIRE_BYTES < parsed.data.BODY_LIMIT_BYTES) {
    problems.push('MAX_REQUEST_WIRE_BYTES: must be >= BODY_LIMIT_BYTES (a body at the limit must fit on the wire)');
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  return {
    host: e.HOST,
    port: e.PORT,
    metricsPort: e.METRICS_PORT === 0 ? undefined : e.METRICS_PORT,
    logLevel: e.LOG_LEVEL,
    shutdownDelayMs: e.SHUTDOWN_DELAY_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    keepAliveTimeoutMs: e.KEEP_ALIVE_TIMEOUT_MS,
    headersTimeoutMs: e.HEADERS_TIMEOUT_MS,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    maxRequestsInFlight: e.MAX_REQUESTS_IN_FLIGHT,
    maxPipelinedRequests: e.MAX_PIPELINED_REQUESTS,
    maxConnections: e.MAX_CONNECTIONS,
    sendTimeoutMs: e.SEND_TIMEOUT_MS,
    maxBodiesWaiting: e.MAX_BODIES_WAITING,
    bodyTimeoutMs: e.BODY_TIMEOUT_MS || Math.min(DEFAULT_BODY_TIMEOUT_MS, e.REQUEST_TIMEOUT_MS),
    maxRequestWireBytes: e.MAX_REQUEST_WIRE_BYTES || defaultWireBytes(e.BODY_LIMIT_BYTES),
    logBufferBytes: e.LOG_BUFFER_BYTES,
    adminToken: e.ADMIN_TOKEN,
    simulation: { seed: e.SIM_SEED < 0 ? undefined : e.SIM_SEED, profiles: simulation.profiles },
    metrics: { nativeHistograms: e.METRICS_NATIVE_HISTOGRAMS },
  };
}
