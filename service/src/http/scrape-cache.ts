// Rendering /metrics costs about a millisecond of the one thread that also serves the API. A
// client hammering /metrics would take that thread from the API, so a render is reused for
// every scrape in the same format within `maxAgeMs`: Prometheus scrapes every few seconds and
// sees values at most that old, while a flood costs one render per interval, not per request.
import type { Middleware } from 'koa';
import { prefersOpenMetrics } from '../metrics/endpoint.ts';

interface Rendered {
  at: number;
  contentType: string;
  body: unknown;
}

export const SCRAPE_CACHE_MS = 1_000;

export function scrapeCache(path = '/metrics', maxAgeMs = SCRAPE_CACHE_MS): Middleware {
  const cache = new Map<boolean, Rendered>();
  const rendering = new Map<boolean, Promise<Rendered | undefined>>();
  return async function reuseRecentScrape(ctx, next) {
    if (ctx.path !== path || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    const format = prefersOpenMetrics(ctx.get('accept'));
    let hit = cache.get(format);
    if (!hit || performance.now() - hit.at > maxAgeMs) {
      const pending = rendering.get(format);
      if (pending) {
        hit = await pending;
      } else {
        const render = (async () => {
          await next();
          if (ctx.status !== 200) return undefined;
          const fresh = { at: performance.now(), contentType: ctx.response.get('Content-Type'), body: ctx.body };
          cache.set(format, fresh);
          return fresh;
        })();
        rendering.set(format, render);
        try {
          await render;
        } finally {
          rendering.delete(format);
        }
        return; // this request rendered it: its response is already set
      }
    }
    if (!hit) return next();
    ctx.set('Content-Type', hit.contentType);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = hit.body;
  };
}
