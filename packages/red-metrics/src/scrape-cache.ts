// Rendering /metrics costs about a millisecond of the one thread that also serves the API, and
// writing its ~20 KB more. A client hammering /metrics would take that thread from the API, so
// scrapes are rationed with two token buckets, far above what any set of scrapers needs:
// fresh renders (10/s), and answers at all (50/s). Past the first a scrape gets the latest
// render in its format; past the second, a bodiless 429 with Retry-After. Normal scraping
// (every few seconds per Prometheus replica) never meets either.
import type { Middleware } from 'koa';
import { type ExpositionFormat, negotiateFormat } from './endpoint.ts';

interface Rendered {
  contentType: string;
  body: unknown;
}

export const SCRAPE_RENDERS_PER_SECOND = 10;
export const SCRAPES_PER_SECOND = 50;

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

export function scrapeCache(
  path = '/metrics',
  rendersPerSecond = SCRAPE_RENDERS_PER_SECOND,
  scrapesPerSecond = SCRAPES_PER_SECOND,
): Middleware {
  const latest = new Map<ExpositionFormat, Rendered>();
  const rendering = new Map<ExpositionFormat, Promise<Rendered | undefined>>();
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
    const hit = reuse ? await reuse : undefined;
    if (!hit) {
      const render = (async () => {
        await next();
        if (ctx.status !== 200) return undefined;
        const fresh = { contentType: ctx.response.get('Content-Type'), body: ctx.body };
        latest.set(format, fresh);
        return fresh;
      })();
      rendering.set(format, render);
      try {
        await render;
      } finally {
        if (rendering.get(format) === render) rendering.delete(format);
      }
      return;
    }
    ctx.set('Content-Type', hit.contentType);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = hit.body;
  };
}
