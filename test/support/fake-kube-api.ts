// A stand-in for the Kubernetes API server (none runs here): serves fixed objects on the few
// read paths smoke's diagnosis uses, on loopback, with a kubeconfig pointing at it. The
// objects come from the real `helm template` renders, so only the transport is stood in for.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { connect, type Socket } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Manifest } from '../../scripts/lib/helm.ts';

/** The few parts of the `ws` package (client-node's own WebSocket library) the port-forward uses. */
interface WebSocketLike {
  protocol: string;
  send(data: Buffer): void;
  close(): void;
  on(event: 'message', listener: (data: Buffer) => void): void;
  on(event: 'close', listener: () => void): void;
}
interface WebSocketServerLike {
  handleUpgrade(req: IncomingMessage, socket: Socket, head: Buffer, done: (ws: WebSocketLike) => void): void;
  close(): void;
}
const clientNode = createRequire(import.meta.url).resolve('@kubernetes/client-node');
const { WebSocketServer } = createRequire(clientNode)('ws') as {
  WebSocketServer: new (options: { noServer: true; handleProtocols: (protocols: Set<string>) => string | false }) => WebSocketServerLike;
};

/**
 * The kubelet's side of `kubectl port-forward` as the API server relays it (channel protocol
 * v4: each binary message starts with its channel byte; the first message on the data channel
 * 0 and the error channel 1 carries the port, 2 bytes little-endian): channel 0 is relayed to
 * a TCP connection to `target`, for as long as both ends are open.
 */
function portForwardSession(ws: WebSocketLike, port: number, target: { host: string; port: number }): void {
  const portBytes = Buffer.from([port & 0xff, port >> 8]);
  ws.send(Buffer.concat([Buffer.from([0]), portBytes]));
  ws.send(Buffer.concat([Buffer.from([1]), portBytes]));
  const tcp = connect(target.port, target.host);
  tcp.on('data', (chunk: Buffer) => ws.send(Buffer.concat([Buffer.from([0]), chunk])));
  tcp.on('error', (error) => ws.send(Buffer.concat([Buffer.from([1]), Buffer.from(error.message)])));
  tcp.on('close', () => ws.close());
  ws.on('message', (data: Buffer) => {
    if (data[0] === 0 && data.length > 1) tcp.write(data.subarray(1));
  });
  ws.on('close', () => tcp.destroy());
}

export interface FakeKubeApi {
  kubeconfig: string;
  /** Paths requested, for asserting what the client asked. */
  requests: string[];
  stop(): Promise<void>;
}

const plural: Record<string, string> = {
  Prometheus: 'prometheuses',
  ServiceMonitor: 'servicemonitors',
  PrometheusRule: 'prometheusrules',
  Service: 'services',
  Pod: 'pods',
  Secret: 'secrets',
};

/** "a=1,b=2" equality selectors, the only kind smoke sends. */
function selected(labels: Record<string, string> | undefined, selector: string | null): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [key, value] = term.split('=');
    return labels?.[key!] === value;
  });
}

/**
 * `context` names the kubeconfig context that points at the stand-in; `current` (when given)
 * is another context, made current, whose server refuses connections: a client that ignores
 * the context it was told to use ends up there.
 */
export async function startFakeKubeApi(
  objects: Manifest[],
  contexts: { context?: string; current?: string } = {},
  /** Pod name → where its port-forward goes ("http://127.0.0.1:PORT" of a server here). */
  forwards: Record<string, string> = {},
): Promise<FakeKubeApi> {
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
      return send(200, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: ns[1], labels: { 'kubernetes.io/metadata.name': ns[1] } },
      });
    }
    const list = /^\/(?:apis\/monitoring\.coreos\.com|api)\/v1\/namespaces\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (list) {
      const [, namespace, resource] = list;
      const items = objects.filter(
        (o) =>
          plural[o.kind] === resource &&
          o.metadata.namespace === namespace &&
          selected(o.metadata.labels, url.searchParams.get('labelSelector')),
      );
      return send(200, { apiVersion: 'v1', kind: 'List', metadata: {}, items });
    }
    const one = /^\/(?:apis\/monitoring\.coreos\.com|api)\/v1\/namespaces\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    const found = one && objects.find((o) => plural[o.kind] === one[2] && o.metadata.namespace === one[1] && o.metadata.name === one[3]);
    if (found) return send(200, found);
    return send(404, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `${url.pathname} not found`,
      reason: 'NotFound',
      code: 404,
    });
  });
  const sockets = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => (protocols.has('v4.channel.k8s.io') ? 'v4.channel.k8s.io' : false),
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(`${url.pathname}${url.search}`);
    const match = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/portforward$/.exec(url.pathname);
    const target = match && forwards[match[2]!];
    if (!target) {
      socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    const { hostname, port } = new URL(target);
    sockets.handleUpgrade(req, socket, head, (ws) =>
      portForwardSession(ws, Number(url.searchParams.get('ports')), { host: hostname, port: Number(port) }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const dir = await mkdtemp(join(tmpdir(), 'redline-kubeconfig-'));
  const kubeconfig = join(dir, 'config');
  await writeFile(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'fake', cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } },
        { name: 'elsewhere', cluster: { server: 'http://127.0.0.1:1', 'insecure-skip-tls-verify': true } },
      ],
      users: [{ name: 'fake', user: { token: 'not-a-secret' } }],
      contexts: [
        { name: contexts.context ?? 'fake', context: { cluster: 'fake', user: 'fake' } },
        ...(contexts.current ? [{ name: contexts.current, context: { cluster: 'elsewhere', user: 'fake' } }] : []),
      ],
      'current-context': contexts.current ?? contexts.context ?? 'fake',
    }),
  );
  return {
    kubeconfig,
    requests,
    stop: async () => {
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
