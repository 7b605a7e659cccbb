// Request input checks shared by the routes: a failure is a 400 (or 415) with the reasons.
import type { Context } from 'koa';
import type { z } from 'zod';
import { HttpError, statusOf } from './errors.ts';

function issues(error: z.ZodError) {
  return error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}

export function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new HttpError(400, `invalid ${what}`, issues(result.error));
  return result.data;
}

/**
 * A body the parser could not read is the client's fault, whatever failed inside: bad JSON,
 * too large (413), an unknown encoding (415), or data that is not what its Content-Encoding
 * says (zlib throws without an HTTP status; it must not become a 500 that burns the budget).
 */
export function rejectBody(error: unknown): never {
  const e = (error ?? {}) as { message?: unknown; code?: unknown };
  const reported = statusOf(error);
  const status = reported < 500 ? reported : 400;
  const zlib = typeof e.code === 'string' && e.code.startsWith('Z_');
  const message = zlib ? 'body does not match its Content-Encoding' : typeof e.message === 'string' ? e.message : 'unreadable body';
  throw new HttpError(status, message);
}

/** The parsed JSON body; 415 unless the client sent JSON. */
export function jsonBody<T>(ctx: Context, schema: z.ZodType<T>): T {
  if (!ctx.request.is('application/json')) {
    throw new HttpError(415, 'expected a JSON body (Content-Type: application/json)');
  }
  return parseWith(schema, (ctx.request as { body?: unknown }).body, 'request body');
}
