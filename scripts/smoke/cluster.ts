// The cluster side of smoke, through @kubernetes/client-node: a port-forward to the
// kube-prometheus-stack Prometheus, and the "not selected" diagnosis, which reads the
// Prometheus CR's selectors and redline's ServiceMonitor/PrometheusRule labels.
import { createServer, type AddressInfo, type Server } from 'node:net';
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

/** The current kubeconfig context, or undefined when there is none to use. */
export function connect(): Cluster | undefined {
  const kubeConfig = new k8s.KubeConfig();
  try {
    kubeConfig.loadFromDefault();
  } catch {
    return undefined;
  }
  // With no kubeconfig at all the library falls back to http://localhost:8080: not a cluster.
  const server = kubeConfig.getCurrentCluster()?.server;
  if (!server || server === 'http://localhost:8080') return undefined;
  return { kubeConfig, core: kubeConfig.makeApiClient(k8s.CoreV1Api), custom: kubeConfig.makeApiClient(k8s.CustomObjectsApi) };
}

export interface Forward {
  url: string;
  target: string;
  close(): Promise<void>;
}

/** Forwards a loopback port to port 9090 of the release's Prometheus Service (first ready pod). */
export async function forwardPrometheus(cluster: Cluster, namespace: string, release: string): Promise<Forward> {
  const services = await cluster.core.listNamespacedService({
    namespace,
    labelSelector: `app=kube-prometheus-stack-prometheus,release=${release}`,
  });
  const service = services.items[0];
  if (!service?.metadata?.name) {
    throw new Error(`no Prometheus Service of release ${release} in namespace ${namespace} (is kube-prometheus-stack installed? run make kind-up)`);
  }
  const serviceName = service.metadata.name;
  const port = service.spec?.ports?.find((p) => p.name === 'http-web')?.targetPort ?? 9090;
  const forward = new k8s.PortForward(cluster.kubeConfig);
  const server: Server = createServer((socket) => {
    forward.portForwardService(namespace, serviceName, [Number(port)], socket, null, socket).catch((error: unknown) => {
      socket.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port: local } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${local}`,
    target: `${namespace}/${serviceName}:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function prometheusCRs(cluster: Cluster, namespace: string, release: string): Promise<PrometheusCR[]> {
  const list = (await cluster.custom.listNamespacedCustomObject({
    group, version, namespace, plural: 'prometheuses', labelSelector: `release=${release}`,
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
    kind, namespace, name: metadata.name, labels: metadata.labels ?? {}, namespaceLabels: ns.metadata?.labels ?? {},
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
