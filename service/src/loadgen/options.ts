// Options of the load generator, from flags or the environment (flags win), validated.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { parseDuration } from '../duration.ts';

export interface LoadOptions {
  target: string;
  /** Requests per second, open loop: they start on schedule whatever the answers take. */
  rate: number;
  /** 0 means until SIGTERM/SIGINT. */
  durationMs: number;
  /** Requests allowed in flight; past it a tick is skipped and counted, never queued. */
  maxInFlight: number;
  timeoutMs: number;
  seed?: number;
  json: boolean;
  /** How often to log progress while running (0: never). */
  progressMs: number;
}

const MAX_DURATION_MS = 24 * 3600 * 1000;

/** A number from a flag or variable; the message says the range whatever went wrong. */
const bounded = (min: number, max: number, options: { integer?: boolean; above?: boolean } = {}) => {
  const bounds = options.above ? `above ${min} and at most ${max}` : `from ${min} to ${max}`;
  const range = `${options.integer ? 'a whole number' : 'a number'} ${bounds}`;
  let number = z.number(`must be ${range}`);
  number = options.above ? number.gt(min, `must be ${range}`) : number.min(min, `must be ${range}`);
  number = number.max(max, `must be ${range}`);
  if (options.integer) number = number.int(`must be ${range}`);
  return z.coerce.number(`must be ${range}`).pipe(number);
};

const schema = z.object({
  target: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
  rate: bounded(0, 10_000, { above: true }),
  durationMs: z.number().int().min(0).max(MAX_DURATION_MS, 'must be at most 24h'),
  maxInFlight: bounded(1, 10_000, { integer: true }),
  timeoutMs: bounded(100, 600_000, { integer: true }),
  seed: bounded(0, 2 ** 32 - 1, { integer: true }).optional(),
  json: z.boolean(),
  progressMs: z.number().int().min(0).max(MAX_DURATION_MS, 'must be at most 24h'),
});

/** The flag each field comes from, to name it in messages. */
const FLAGS: Record<string, string> = {
  target: '--target',
  rate: '--rate',
  durationMs: '--duration',
  maxInFlight: '--max-in-flight',
  timeoutMs: '--timeout-ms',
  seed: '--seed',
  progressMs: '--progress',
};

export const USAGE = `usage: loadgen --target URL [--rate N] [--duration 60s|0] [--progress 10s|0] [--max-in-flight N] [--timeout-ms N] [--seed N] [--json]
  Sends the API mix at N req/s (open loop) and prints a summary: sent, ok (2xx), failed (every
  non-2xx, and unanswered requests), byStatus, byRoute and latency p50/p95/p99 in ms. Progress
  lines come every --progress (to stderr with --json, whose stdout is the summary alone).
  env: LOADGEN_TARGET, LOADGEN_RATE (20), LOADGEN_DURATION (60s; 0 = until SIGTERM), LOADGEN_PROGRESS (10s),
       LOADGEN_MAX_IN_FLIGHT (256), LOADGEN_TIMEOUT_MS (10000), LOADGEN_SEED`;

export function loadOptions(argv: string[], env: Record<string, string | undefined>): LoadOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      target: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      'max-in-flight': { type: 'string' },
      'timeout-ms': { type: 'string' },
      seed: { type: 'string' },
      progress: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const raw: Record<string, unknown> = {
    target: values.target ?? env.LOADGEN_TARGET ?? 'http://127.0.0.1:8080',
    // An empty string would coerce to 0; keep it as text so it is refused by name.
    rate: values.rate ?? env.LOADGEN_RATE ?? 20,
    maxInFlight: values['max-in-flight'] ?? env.LOADGEN_MAX_IN_FLIGHT ?? 256,
    timeoutMs: values['timeout-ms'] ?? env.LOADGEN_TIMEOUT_MS ?? 10_000,
    seed: values.seed ?? env.LOADGEN_SEED,
    json: values.json ?? false,
  };
  const problems: string[] = [];
  const duration = (field: string, text: string) => {
    try {
      return parseDuration(text);
    } catch (error) {
      problems.push(`${FLAGS[field]}: ${(error as Error).message}`);
      return 0;
    }
  };
  raw.durationMs = duration('durationMs', values.duration ?? env.LOADGEN_DURATION ?? '60s');
  raw.progressMs = duration('progressMs', values.progress ?? env.LOADGEN_PROGRESS ?? '10s');
  for (const field of ['rate', 'maxInFlight', 'timeoutMs', 'seed']) {
    if (typeof raw[field] === 'string' && (raw[field] as string).trim() === '') raw[field] = Number.NaN;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = String(issue.path[0]);
      const given = raw[field];
      const shown = typeof given === 'string' ? ` ${JSON.stringify(given)}` : '';
      problems.push(`${FLAGS[field] ?? field}${shown}: ${issue.message}`);
    }
  }
  if (problems.length > 0 || !parsed.success) throw new Error(problems.join('; '));
  return { ...parsed.data, target: parsed.data.target.replace(/\/+$/, '') };
}
