// Which request bodies the service will read, decided from the headers alone: the body parser
// applies it, and so does the answer to `Expect: 100-continue`, before any body is sent.
import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors.ts';

/**
 * Request body encodings whose decoder memory is bounded: zlib's inflate needs a 32 KiB window
 * whatever the stream says. A brotli stream picks its own window, up to 16 MiB, allocated
 * before the body limit can fire (100 concurrent 53-byte bodies took the process past 256 MiB),
 * so `br`, like any encoding not listed, is refused with 415.
 */
export const ACCEPTED_BODY_ENCODINGS = ['identity', 'gzip', 'deflate'];

/**
 * The Content-Encoding in the form the decoder matches (content codings are case-insensitive:
 * `GZIP` is gzip); throws a 415 for anything not accepted.
 */
export function acceptedEncoding(header: string | undefined): string {
  const encoding = (header ?? '').trim().toLowerCase();
  if (encoding === '' || ACCEPTED_BODY_ENCODINGS.includes(encoding)) return encoding;
  const accepted = ACCEPTED_BODY_ENCODINGS.join(', ');
  throw new HttpError(415, `unsupported Content-Encoding; use one of ${accepted}`, undefined, { 'Accept-Encoding': accepted });
}

/** The refusal a body would get from its headers alone (413 declared too large, 415 encoding), if any. */
export function refusalFromHeaders(req: IncomingMessage, bodyLimitBytes: number): HttpError | undefined {
  try {
    const encoding = acceptedEncoding(req.headers['content-encoding']);
    const declared = Number(req.headers['content-length'] ?? 0);
    // A compressed body is limited after decoding; only an identity one by its declared size.
    if ((encoding === '' || encoding === 'identity') && declared > bodyLimitBytes) {
      return new HttpError(413, 'request entity too large');
    }
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  return undefined;
}
