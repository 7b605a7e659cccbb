// The route template of a request, read from @koa/router's matched layers: a value from the
// router's own set of paths, never the raw URL, so labels and log fields stay bounded.
import type { RouterContext } from '@koa/router';

type Routed = Pick<RouterContext, 'method' | 'matched'>;

/**
 * The template of the route that served the request; for a path that exists but not for this
 * method (405, or OPTIONS), the template of that path. Undefined when no route matched the
 * path (or when the route is a RegExp, whose source is not a template).
 */
export function routeTemplate(ctx: Routed): string | undefined {
  const matched = ctx.matched;
  if (!matched) return undefined;
  let otherMethod: string | undefined;
  for (let i = matched.length - 1; i >= 0; i -= 1) {
    const layer = matched[i]!;
    if (layer.methods.length === 0 || typeof layer.path !== 'string') continue; // router.use() layers
    if (layer.methods.includes(ctx.method)) return layer.path;
    otherMethod ??= layer.path;
  }
  return otherMethod;
}
