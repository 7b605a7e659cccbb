// Rendering /metrics costs about a millisecond of the one thread that also serves the API
// (in slices, see endpoint.ts), and writing its ~20 KB more. A client hammering /metrics would take that thread from the API, so
// scrapes are rationed with two token buckets, far above what any set of scrapers needs:
// fresh renders (10/s), and answers at all (50/s). Past the first a scrape gets the latest
// render in its format; past the second, a bodiless 429 with Retry-After. Normal scraping
// (every few seconds per Prometheus replica) never meets either.
import { Readable, Transform } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Middleware } from 'koa';
import { type ExpositionFormat, negotiateFormat } from './endpoint.ts';

/** A chunk of a body: text (whole lines) or protobuf bytes (endpoint.ts, Rendering). */
type Chunk = string | Buffer;

/** A render kept for the scrapes past the render budget: its body, as the chunks it was sent in. */
interface Kept {
  contentType: string;
  chunks: Chunk[];
}

export const SCRAPE_RENDERS_PER_SECOND = 10;
export const SCRAPES_PER_SECOND = 50;
/**
 * The largest render kept for reuse, per format. A larger one (far beyond normal cardinality:
 * 16 MiB of text is about 160k series) is streamed and not kept, so memory stays bounded;
 * scrapes past the render budget then get a 429 instead of a render of their own.
 */
export const MAX_KEPT_RENDER_BYTES = 16 * 1024 * 1024;

function tokenBucket(perSecond: number) {
  let tokens = perSecond;
  let refilledAt = performance.now();
  return () => {
    const now = performance.now();
    tokens = Math.min(perSecond, tokens + ((now - refilledAt) / 1000) * perSecond);
    refilledAt = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}

/**
 * Passes a body through while keeping a copy of its chunks, up to `maxBytes`; `kept` settles
 * when the body has been sent whole (the copy), or not (undefined: too large, failed, aborted).
 */
function keepWhileSending(body: unknown, maxBytes: number): { body: unknown; kept: Promise<Chunk[] | undefined> } {
  if (typeof body === 'string' || body instanceof Uint8Array) {
    const bytes = Buffer.from(body as string);
    return { body, kept: Promise.resolve(bytes.byteLength <= maxBytes ? [bytes] : undefined) };
  }
  if (!(body instanceof Readable)) return { body, kept: Promise.resolve(undefined) };
  let chunks: Chunk[] | undefined = [];
  let size = 0;
  // Object mode passes text chunks on as the strings they are; one chunk buffered, as the body.
  const tee = new Transform({
    objectMode: true,
    highWaterMark: 1,
    transform(chunk: Chunk, _encoding, done) {
      size += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
      if (chunks && size <= maxBytes) chunks.push(chunk);
      else chunks = undefined;
      done(null, chunk);
    },
  });
  body.on('error', (error) => tee.destroy(error));
  tee.on('close', () => body.destroy()); // a client that left stops the render
  body.pipe(tee);
  return {
    body: tee,
    kept: finished(tee, { readable: false }).then(
      () => chunks,
      () => undefined,
    ),
  };
}

export function scrapeCache(
  path = '/metrics',
  rendersPerSecond = SCRAPE_RENDERS_PER_SECOND,
  scrapesPerSecond = SCRAPES_PER_SECOND,
  maxKeptBytes = MAX_KEPT_RENDER_BYTES,
): Middleware {
  const latest = new Map<ExpositionFormat, Kept>();
  const rendering = new Map<ExpositionFormat, Promise<Kept | undefined>>();
  const mayRender = tokenBucket(rendersPerSecond);
  const mayAnswer = tokenBucket(scrapesPerSecond);
  return async function rationScrapes(ctx, next) {
    if (ctx.path !== path || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    if (!mayAnswer()) {
      ctx.status = 429;
      ctx.set('Retry-After', '1');
      ctx.body = '';
      return;
    }
    // One latest render per format: a protobuf scraper never gets a cached text page.
    const format = negotiateFormat(ctx.get('accept'));
    const reuse = !mayRender() && (rendering.get(format) ?? latest.get(format));
    if (reuse) {
      // Past the render budget: the render in progress (once sent whole) or the latest one.
      const hit = await reuse;
      if (!hit) {
        // It could not be kept (too large, or it failed): answer as past the answer budget.
        ctx.status = 429;
        ctx.set('Retry-After', '1');
        ctx.body = '';
        return;
      }
      ctx.set('Content-Type', hit.contentType);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = Readable.from(hit.chunks, { objectMode: true, highWaterMark: 1 });
      return;
    }
    // Registered before rendering starts, so a scrape arriving meanwhile joins this render.
    let settle: (kept: Kept | undefined) => void = () => {};
    const render = new Promise<Kept | undefined>((resolve) => (settle = resolve));
    rendering.set(format, render);
    void render.then((kept) => {
      if (kept) latest.set(format, kept);
      if (rendering.get(format) === render) rendering.delete(format);
    });
    try {
      await next();
    } catch (error) {
      settle(undefined);
      throw error;
    }
    if (ctx.status !== 200) return settle(undefined);
    const contentType = ctx.response.get('Content-Type');
    const { body, kept } = keepWhileSending(ctx.body, maxKeptBytes);
    ctx.body = body;
    void kept.then((chunks) => settle(chunks && { contentType, chunks }));
  };
}
