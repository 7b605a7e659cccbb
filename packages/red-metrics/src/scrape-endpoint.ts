// /metrics as one handler: rationed (scrapeCache) and rendered (metricsEndpoint's handler), for
// redMiddleware to answer scrapes itself, or for an app of its own (the METRICS_PORT listener).
import type { Context, Middleware } from 'koa';
import type { Registry, RegistryContentType } from 'prom-client';
import { metricsHandler } from './endpoint.ts';
import { SCRAPE_RENDERS_PER_SECOND, SCRAPES_PER_SECOND, scrapeCache } from './scrape-cache.ts';

export interface ScrapeEndpointOptions {
  /** The path scrapers ask for (default `/metrics`). */
  path?: string;
  /** Fresh renders allowed per second; past it a scrape gets the latest render. */
  rendersPerSecond?: number;
  /** Scrapes answered per second; past it, 429 with Retry-After. */
  scrapesPerSecond?: number;
}

export interface ScrapeEndpoint {
  readonly path: string;
  /** Answers a GET or HEAD of `path` (the caller has checked both). */
  serve(ctx: Context): Promise<void>;
  /** The same as a Koa middleware of its own: other paths and methods go on to `next`. */
  middleware(): Middleware;
}

export function scrapeEndpoint(registry: Registry<RegistryContentType>, options: ScrapeEndpointOptions = {}): ScrapeEndpoint {
  const path = options.path ?? '/metrics';
  if (!path.startsWith('/')) throw new Error(`scrapeEndpoint: path must start with "/", got ${JSON.stringify(path)}`);
  const ration = scrapeCache(path, options.rendersPerSecond ?? SCRAPE_RENDERS_PER_SECOND, options.scrapesPerSecond ?? SCRAPES_PER_SECOND);
  const render = metricsHandler(registry);
  const serve = async (ctx: Context) => {
    await ration(ctx, () => render(ctx));
  };
  return {
    path,
    serve,
    middleware: () =>
      function serveScrapes(ctx, next) {
        if ((ctx.method === 'GET' || ctx.method === 'HEAD') && ctx.path === path) return serve(ctx);
        return next();
      },
  };
}
