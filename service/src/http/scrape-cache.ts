// Rendering /metrics costs about a millisecond of the one thread that also serves the API. A
// client hammering /metrics would take that thread from the API, so fresh renders are rationed
// (a token bucket, far above what any set of scrapers needs); past the ration a scrape gets the
// latest render in its format. Normal scraping never sees a reused render.
import type { Middleware } from 'koa';
import { prefersOpenMetrics } from '../metrics/endpoint.ts';

interface Rendered {
  contentType: string;
  body: unknown;
}

/** Fresh renders allowed per second, and in a burst. */
export const SCRAPE_RENDERS_PER_SECOND = 10;

export function scrapeCache(path = '/metrics', rendersPerSecond = SCRAPE_RENDERS_PER_SECOND): Middleware {
  const latest = new Map<boolean, Rendered>();
  const rendering = new Map<boolean, Promise<Rendered | undefined>>();
  let tokens = rendersPerSecond;
  let refilledAt = performance.now();
  const takeToken = () => {
    const now = performance.now();
    tokens = Math.min(rendersPerSecond, tokens + ((now - refilledAt) / 1000) * rendersPerSecond);
    refilledAt = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
  return async function rationScrapes(ctx, next) {
    if (ctx.path !== path || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    const format = prefersOpenMetrics(ctx.get('accept'));
    const reuse = !takeToken() && (rendering.get(format) ?? latest.get(format));
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
