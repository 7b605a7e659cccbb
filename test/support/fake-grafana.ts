// A stand-in for Grafana (none runs here) that answers the few HTTP API calls smoke's Grafana
// check makes, with the response shapes Grafana documents:
//   GET  /api/health                 https://grafana.com/docs/grafana/latest/developer-resources/api-reference/http-api/other/#health-api
//   GET  /api/dashboards/uid/:uid    https://grafana.com/docs/grafana/latest/developer-resources/api-reference/http-api/dashboard/#get-dashboard-by-uid
//   GET  /api/datasources            https://grafana.com/docs/grafana/latest/developer-resources/api-reference/http-api/data_source/#get-all-data-sources
//   GET  /api/datasources/uid/:uid   https://grafana.com/docs/grafana/latest/developer-resources/api-reference/http-api/data_source/#get-a-single-data-source-by-uid
//   POST /api/ds/query               https://grafana.com/docs/grafana/latest/developer-resources/api-reference/http-api/data_source/#query-a-data-source
// Everything but /api/health needs the admin login (basic auth), 401 otherwise. /api/ds/query
// does what Grafana's Prometheus datasource does: interpolates $__rate_interval, runs the
// range query against the datasource's Prometheus (a real one in the tests), and answers data
// frames. The dashboards it holds are what the test gives it (the chart's own, as the sidecar
// would load it).
import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface FakeGrafana {
  url: string;
  /** "METHOD path" of every request, for asserting what smoke asked. */
  requests: string[];
  stop(): Promise<void>;
}

export interface FakeGrafanaOptions {
  user: string;
  password: string;
  dashboards: { uid: string; [key: string]: unknown }[];
  /** The Prometheus datasource's URL; undefined: Grafana has no Prometheus datasource. */
  prometheusUrl?: string;
}

async function body(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text;
}

interface Query {
  refId: string;
  expr: string;
  datasource?: { uid?: string };
  intervalMs?: number;
}
interface Matrix {
  status: string;
  error?: string;
  data?: { result: { metric: Record<string, string>; values: [number, string][] }[] };
}

export async function startFakeGrafana(options: FakeGrafanaOptions): Promise<FakeGrafana> {
  const requests: string[] = [];
  const datasources = options.prometheusUrl
    ? [
        {
          id: 1,
          uid: 'prometheus',
          orgId: 1,
          name: 'Prometheus',
          type: 'prometheus',
          typeName: 'Prometheus',
          access: 'proxy',
          url: options.prometheusUrl,
          isDefault: true,
          readOnly: true,
        },
      ]
    : [];
  const expected = `Basic ${Buffer.from(`${options.user}:${options.password}`).toString('base64')}`;

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(`${req.method} ${url.pathname}`);
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    if (req.method === 'GET' && url.pathname === '/api/health') {
      return send(200, { commit: '0000000', database: 'ok', version: '12.3.0' });
    }
    if (req.headers.authorization !== expected) return send(401, { message: 'Invalid username or password' });

    const dashboard = /^\/api\/dashboards\/uid\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && dashboard) {
      const found = options.dashboards.find((d) => d.uid === dashboard[1]);
      if (!found) return send(404, { message: 'Dashboard not found' });
      return send(200, {
        dashboard: { id: 7, ...found },
        meta: {
          type: 'db',
          canSave: true,
          slug: 'redline-red',
          url: `/d/${found.uid}/redline-red`,
          provisioned: false,
          folderTitle: 'General',
        },
      });
    }
    if (req.method === 'GET' && url.pathname === '/api/datasources') return send(200, datasources);
    const datasource = /^\/api\/datasources\/uid\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && datasource) {
      const found = datasources.find((d) => d.uid === decodeURIComponent(datasource[1]!));
      return found ? send(200, found) : send(404, { message: 'Data source not found' });
    }
    if (req.method === 'POST' && url.pathname === '/api/ds/query') {
      const { queries } = JSON.parse(await body(req)) as { queries: Query[]; from: string; to: string };
      const results: Record<string, unknown> = {};
      let failed = false;
      for (const query of queries) {
        const source = datasources.find((d) => d.uid === query.datasource?.uid);
        if (!source) return send(400, { message: `data source not found: ${query.datasource?.uid}` });
        const end = Date.now() / 1_000;
        const params = new URLSearchParams({
          query: query.expr.replaceAll('$__rate_interval', '1m'),
          start: String(end - 300),
          end: String(end),
          step: String((query.intervalMs ?? 15_000) / 1_000),
        });
        const answer = (await (await fetch(`${source.url}/api/v1/query_range?${params}`)).json()) as Matrix;
        if (answer.status !== 'success') {
          failed = true;
          results[query.refId] = { status: 400, error: answer.error ?? 'query failed' };
          continue;
        }
        results[query.refId] = {
          status: 200,
          frames: answer.data!.result.map((series) => ({
            schema: {
              refId: query.refId,
              meta: { type: 'timeseries-multi', typeVersion: [0, 1] },
              fields: [
                { name: 'Time', type: 'time', typeInfo: { frame: 'time.Time' } },
                { name: 'Value', type: 'number', typeInfo: { frame: 'float64' }, labels: series.metric },
              ],
            },
            data: { values: [series.values.map(([t]) => t * 1_000), series.values.map(([, v]) => Number(v))] },
          })),
        };
      }
      // Grafana answers 207 Multi-Status when some queries failed.
      return send(failed ? 207 : 200, { results });
    }
    return send(404, { message: 'Not found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
