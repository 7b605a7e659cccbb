// Serves a Koa app on a free loopback port for one test.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';

export interface Listening {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function listen(app: Koa): Promise<Listening> {
  const server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One metric's samples from the registry, as label-set → value. */
export async function samples(registry: { getMetricsAsJSON(): Promise<unknown[]> }, name: string) {
  const all = (await registry.getMetricsAsJSON()) as {
    name: string;
    values: { labels: Record<string, string | number>; value: number; metricName?: string }[];
  }[];
  // A histogram's _sum, _count and _bucket samples live under the histogram's own name.
  const family = all.find((metric) => metric.name === name) ?? all.find((metric) => name.startsWith(`${metric.name}_`));
  return (family?.values ?? []).filter((value) => family?.name === name || value.metricName === name);
}
