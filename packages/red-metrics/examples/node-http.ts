// RED metrics and /metrics from plain node:http, no web framework: `node examples/node-http.ts`
// (PORT, default 8080). GET /hello/:name answers 200, anything else 404 as route "unmatched";
// /metrics answers in the format the scraper asks for, native histograms included.
import { createServer } from 'node:http';
import { metricsHandler, RedMetrics, recordRequest } from '@redline/red-metrics/node';
import { collectDefaultMetrics, Registry } from 'prom-client';

const registry = new Registry();
collectDefaultMetrics({ register: registry });
const metrics = new RedMetrics(registry, { nativeHistograms: true });
// The routes' series exist at zero before the first request, so rate() has data at once.
metrics.initialise([{ method: 'GET', route: '/hello/:name' }]);
const serveMetrics = metricsHandler(registry);

const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (path === '/metrics') {
    void serveMetrics(req, res);
    return;
  }
  const hello = req.method === 'GET' && /^\/hello\/[^/]+$/.test(path);
  // The route is a template, never the raw path: one series per route, not per name.
  const recording = recordRequest(metrics, req, res, { routeOf: () => (hello ? '/hello/:name' : undefined) });
  if (hello) res.end(`hello ${decodeURIComponent(path.slice('/hello/'.length))}\n`);
  else res.writeHead(404).end('not found\n');
  recording.handlerReturned();
});

server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () => {
  const address = server.address();
  console.log(`listening on http://127.0.0.1:${typeof address === 'object' && address ? address.port : ''}`);
});
process.once('SIGTERM', () => server.close());
