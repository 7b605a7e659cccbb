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
}

const MAX_DURATION_MS = 24 * 3600 * 1000;

const schema = z.object({
  target: z.url({ protocol: /^https?$/ }),
  rate: z.coerce.number().positive().max(10_000),
  durationMs: z.number().int().min(0).max(MAX_DURATION_MS),
  maxInFlight: z.coerce.number().int().min(1).max(10_000),
  timeoutMs: z.coerce.number().int().min(100).max(600_000),
  seed: z.coerce.number().int().min(0).optional(),
  json: z.boolean(),
});

export const USAGE = `usage: loadgen --target URL [--rate N] [--duration 60s|0] [--max-in-flight N] [--timeout-ms N] [--seed N] [--json]
  env: LOADGEN_TARGET, LOADGEN_RATE (20), LOADGEN_DURATION (60s; 0 = until SIGTERM), LOADGEN_MAX_IN_FLIGHT (256)`;

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
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const parsed = schema.safeParse({
    target: values.target ?? env.LOADGEN_TARGET ?? 'http://127.0.0.1:8080',
    rate: values.rate ?? env.LOADGEN_RATE ?? 20,
    durationMs: parseDuration(values.duration ?? env.LOADGEN_DURATION ?? '60s'),
    maxInFlight: values['max-in-flight'] ?? env.LOADGEN_MAX_IN_FLIGHT ?? 256,
    timeoutMs: values['timeout-ms'] ?? env.LOADGEN_TIMEOUT_MS ?? 10_000,
    seed: values.seed ?? env.LOADGEN_SEED,
    json: values.json ?? false,
  });
  if (!parsed.success) {
    throw new Error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  return { ...parsed.data, target: parsed.data.target.replace(/\/+$/, '') };
}
