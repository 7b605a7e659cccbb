// A stand-in for the Kubernetes API server (none runs here): serves fixed objects on the few
// read paths smoke's diagnosis uses, on loopback, with a kubeconfig pointing at it. The
// objects come from the real `helm template` renders, so only the transport is stood in for.
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Manifest } from '../lib/helm.ts';

export interface FakeKubeApi {
  kubeconfig: string;
  /** Paths requested, for asserting what the client asked. */
  requests: string[];
  stop(): Promise<void>;
}

const plural: Record<string, string> = { Prometheus: 'prometheuses', ServiceMonitor: 'servicemonitors', PrometheusRule: 'prometheusrules', Service: 'services' };

/** "a=1,b=2" equality selectors, the only kind smoke sends. */
function selected(labels: Record<string, string> | undefined, selector: string | null): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [key, value] = term.split('=');
    return labels?.[key!] === value;
  });
}

export async function startFakeKubeApi(objects: Manifest[]): Promise<FakeKubeApi> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(`${url.pathname}${url.search}`);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/api/v1/' || url.pathname === '/api/v1') {
      return send(200, { kind: 'APIResourceList', groupVersion: 'v1', resources: [] });
    }
    const ns = /^\/api\/v1\/namespaces\/([^/]+)$/.exec(url.pathname);
    if (ns) {
      return send(200, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns[1], labels: { 'kubernetes.io/metadata.name': ns[1] } } });
    }
    const list = /^\/(?:apis\/monitoring\.coreos\.com|api)\/v1\/namespaces\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (list) {
      const [, namespace, resource] = list;
      const items = objects.filter((o) => plural[o.kind] === resource && o.metadata.namespace === namespace
        && selected(o.metadata.labels, url.searchParams.get('labelSelector')));
      return send(200, { apiVersion: 'v1', kind: 'List', metadata: {}, items });
    }
    return send(404, { kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404 });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const dir = await mkdtemp(join(tmpdir(), 'redline-kubeconfig-'));
  const kubeconfig = join(dir, 'config');
  await writeFile(kubeconfig, stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'fake', cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'fake', user: { token: 'not-a-secret' } }],
    contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake' } }],
    'current-context': 'fake',
  }));
  return {
    kubeconfig,
    requests,
    stop: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
