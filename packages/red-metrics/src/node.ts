// The node:http adapter: serve /metrics and record RED metrics with no web framework.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry, RegistryContentType } from 'prom-client';
import { negotiateFormat, serialRenderer } from './endpoint.ts';

export { type RecordOptions, type Recording, recordRequest } from './record.ts';

/**
 * A node:http handler answering a scrape in the format its Accept header ranks highest
 * (Prometheus text, OpenMetrics, or protobuf with native histograms). GET and HEAD only.
 */
export function metricsHandler(registry: Registry<RegistryContentType>): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const render = serialRenderer(registry);
  return async function serveMetrics(req, res) {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    try {
      const { contentType, body } = await render(negotiateFormat(req.headers.accept ?? ''));
      res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('metrics rendering failed\n');
    }
  };
}

// The core, so one import serves an app.
export * from './index.ts';
