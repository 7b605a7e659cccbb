// The cluster side of smoke, through @kubernetes/client-node: a port-forward to the
// kube-prometheus-stack Prometheus, and the "not selected" diagnosis, which reads the
// Prometheus CR's selectors and redline's ServiceMonitor/PrometheusRule labels.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import { notSelectedReason, type LabelSelector, type SelectedObject } from './selectors.ts';

const group = 'monitoring.coreos.com';
const version = 'v1';

interface Meta {
  name: string;
  namespace: string;
  labels?: Record<string, string>;
}
interface PrometheusCR {
  metadata: Meta;
  spec: {
    serviceMonitorSelector?: LabelSelector;
    serviceMonitorNamespaceSelector?: LabelSelector;
    ruleSelector?: LabelSelector;
    ruleNamespaceSelector?: LabelSelector;
  };
}

export interface Cluster {
  kubeConfig: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  custom: k8s.CustomObjectsApi;
}

/**
 * The kubeconfig `context` (the current one when absent), or undefined when there is no
 * cluster to use. A named context that the kubeconfig lacks is an error, never a fallback to
 * whatever cluster happens to be current.
 */
export function connect(context?: string): Cluster | undefined {
  const kubeConfig = new k8s.KubeConfig();
  try {
    kubeConfig.loadFromDefault();
  } catch {
    if (context) throw new Error(`no kubeconfig with context ${context}: start the cluster (make kind-up) or pass --prometheus-url`);
    return undefined;
  }
  if (context) {
    if (!kubeConfig.getContextObject(context)) {
      const known = kubeConfig.getContexts().map((c) => c.name);
      throw new Error(
        `kubeconfig has no context ${context} (it has ${known.length ? known.join(', ') : 'none'}): start the cluster (make kind-up) or pass --prometheus-url`,
      );
    }
    kubeConfig.setCurrentContext(context);
  }
  // With no kubeconfig at all the library falls back to http://localhost:8080: not a cluster.
  const server = kubeConfig.getCurrentCluster()?.server;
  if (!server || server === 'http://localhost:8080') return undefined;
  return { kubeConfig, core: kubeConfig.makeApiClient(k8s.CoreV1Api), custom: kubeConfig.makeApiClient(k8s.CustomObjectsApi) };
}

export interface Forward {
  url: string;
  target: string;
  /** Why the last connection through the forward failed; undefined once one gets through. */
  lastError(): string | undefined;
  close(): Promise<void>;
}

/** The sentence smoke reports for a failed port-forward connection. */
export function forwardFailure(subject: string, error: unknown): string {
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
  // client-node's portForwardService finds no Ready pod behind the Service (e.g. the operator
  // has not started Prometheus yet): a state that passes, so smoke keeps trying.
  if (/^No (ready )?pods found/.test(message)) return `${subject} pod not ready: ${message}`;
  return `port-forward to ${subject} failed: ${message}`;
}

/** Forwards a loopback port to port 9090 of the release's Prometheus Service (first ready pod). */
export async function forwardPrometheus(cluster: Cluster, namespace: string, release: string): Promise<Forward> {
  const services = await cluster.core.listNamespacedService({
    namespace,
    labelSelector: `app=kube-prometheus-stack-prometheus,release=${release}`,
  });
  const service = services.items[0];
  if (!service?.metadata?.name) {
    throw new Error(
      `no Prometheus Service of release ${release} in namespace ${namespace} (is kube-prometheus-stack installed? run make kind-up)`,
    );
  }
  const port = service.spec?.ports?.find((p) => p.name === 'http-web')?.targetPort ?? 9090;
  return forwardService(cluster, namespace, service.metadata.name, Number(port), 'Prometheus');
}

/**
 * A loopback port whose every connection is forwarded to `port` of the first Ready pod behind
 * the Service. A connection that cannot be forwarded is closed and its reason kept (lastError):
 * the caller sees a failed request, retries, and reports the reason.
 */
export async function forwardService(
  cluster: Cluster,
  namespace: string,
  serviceName: string,
  port: number,
  subject: string,
): Promise<Forward> {
  const forward = new k8s.PortForward(cluster.kubeConfig);
  let lastError: string | undefined;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // Without a listener, an 'error' on this socket would end the process.
    socket.on('error', () => {});
    forward.portForwardService(namespace, serviceName, [port], socket, null, socket).then(
      (ws) => {
        lastError = undefined;
        // The websocket is the connection: when it fails or closes (the pod went away, the
        // target closed its end), so does the local socket, else a kept-alive HTTP connection
        // would wait on a stream that no longer exists.
        const events = ws as { on?: (event: string, listener: (error?: Error) => void) => void; terminate?: () => void };
        events.on?.('error', (error) => {
          lastError = forwardFailure(subject, error);
          socket.destroy();
        });
        events.on?.('close', () => socket.destroy());
        // and the other way round: a closed local connection ends its websocket, also when it
        // closed (a client's timeout) before the forward was up; an open websocket would keep
        // smoke's process alive after its report.
        if (socket.destroyed) events.terminate?.();
        else socket.on('close', () => events.terminate?.());
      },
      (error: unknown) => {
        lastError = forwardFailure(subject, error);
        socket.destroy();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port: local } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${local}`,
    target: `${namespace}/${serviceName}:${port}`,
    lastError: () => lastError,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** kube-prometheus-stack's Grafana: the labels its chart gives the Service and the admin Secret. */
function grafanaSelector(release: string): string {
  return `app.kubernetes.io/name=grafana,app.kubernetes.io/instance=${release}`;
}

/** Forwards a loopback port to the Grafana of the kube-prometheus-stack release (first ready pod). */
export async function forwardGrafana(cluster: Cluster, namespace: string, release: string): Promise<Forward> {
  const services = await cluster.core.listNamespacedService({ namespace, labelSelector: grafanaSelector(release) });
  const service = services.items[0];
  if (!service?.metadata?.name) {
    throw new Error(`no Grafana Service of release ${release} in namespace ${namespace} (is Grafana enabled in kube-prometheus-stack?)`);
  }
  const targetPort = service.spec?.ports?.[0]?.targetPort ?? 3000;
  let port = Number(targetPort);
  if (!Number.isInteger(port)) {
    // A named port (kube-prometheus-stack's is "grafana"): the number is on the pods' containers.
    const selector = Object.entries(service.spec?.selector ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const pods = await cluster.core.listNamespacedPod({ namespace, labelSelector: selector });
    const named = pods.items
      .flatMap((p) => p.spec?.containers ?? [])
      .flatMap((c) => c.ports ?? [])
      .find((p) => p.name === targetPort);
    port = named?.containerPort ?? 3000;
  }
  return forwardService(cluster, namespace, service.metadata.name, port, 'Grafana');
}

/** Grafana's admin login, from the Secret kube-prometheus-stack generates for it. */
export async function grafanaCredentials(
  cluster: Cluster,
  namespace: string,
  release: string,
): Promise<{ user: string; password: string; secret: string }> {
  const secrets = await cluster.core.listNamespacedSecret({
    namespace,
    labelSelector: `${grafanaSelector(release)},app.kubernetes.io/component=admin-secret`,
  });
  const secret = secrets.items[0];
  const decode = (key: string) => (secret?.data?.[key] ? Buffer.from(secret.data[key]!, 'base64').toString('utf8') : undefined);
  const user = decode('admin-user');
  const password = decode('admin-password');
  if (!secret?.metadata?.name || !user || !password) {
    throw new Error(`no Grafana admin Secret (admin-user, admin-password) of release ${release} in namespace ${namespace}`);
  }
  return { user, password, secret: `${namespace}/${secret.metadata.name}` };
}

async function prometheusCRs(cluster: Cluster, namespace: string, release: string): Promise<PrometheusCR[]> {
  const list = (await cluster.custom.listNamespacedCustomObject({
    group,
    version,
    namespace,
    plural: 'prometheuses',
    labelSelector: `release=${release}`,
  })) as { items: PrometheusCR[] };
  return list.items;
}

async function objects(cluster: Cluster, kind: SelectedObject['kind'], namespace: string): Promise<SelectedObject[]> {
  const plural = kind === 'ServiceMonitor' ? 'servicemonitors' : 'prometheusrules';
  const [list, ns] = await Promise.all([
    cluster.custom.listNamespacedCustomObject({ group, version, namespace, plural }) as Promise<{ items: { metadata: Meta }[] }>,
    cluster.core.readNamespace({ name: namespace }),
  ]);
  return list.items.map(({ metadata }) => ({
    kind,
    namespace,
    name: metadata.name,
    labels: metadata.labels ?? {},
    namespaceLabels: ns.metadata?.labels ?? {},
  }));
}

/**
 * Why the Prometheus of `release` does not pick up `kind` objects in `namespace`, in one
 * sentence; undefined when one of them is selected (the cause is then elsewhere).
 */
export async function diagnoseSelection(
  cluster: Cluster,
  kind: SelectedObject['kind'],
  options: { namespace: string; prometheusNamespace: string; prometheusRelease: string },
): Promise<string | undefined> {
  const [crs, found] = await Promise.all([
    prometheusCRs(cluster, options.prometheusNamespace, options.prometheusRelease),
    objects(cluster, kind, options.namespace),
  ]);
  const cr = crs[0];
  if (!cr) return `no Prometheus resource of release ${options.prometheusRelease} in namespace ${options.prometheusNamespace}`;
  if (found.length === 0) return `no ${kind} in namespace ${options.namespace} (is it enabled in the chart values?)`;
  const prometheus = {
    name: cr.metadata.name,
    namespace: cr.metadata.namespace,
    ...(kind === 'ServiceMonitor'
      ? { selector: cr.spec.serviceMonitorSelector, namespaceSelector: cr.spec.serviceMonitorNamespaceSelector }
      : { selector: cr.spec.ruleSelector, namespaceSelector: cr.spec.ruleNamespaceSelector }),
  };
  const reasons = found.map((object) => notSelectedReason(prometheus, object));
  return reasons.some((r) => r === undefined) ? undefined : reasons.join('; ');
}
