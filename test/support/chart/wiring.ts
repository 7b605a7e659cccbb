// The ServiceMonitor -> Service -> Pod chain that decides whether Prometheus finds a target.
// Returns every broken link, so a test can show both the chart's chain and broken ones.
import type { Manifest } from '../../../scripts/lib/helm.ts';
import { selects, spec, type PodTemplate } from './manifests.ts';
import { parseDuration } from '../../../service/src/duration.ts';

export interface ServiceSpec {
  selector: Record<string, string>;
  ports: { name: string; port: number; targetPort: string | number }[];
}

export interface MonitorSpec {
  selector: { matchLabels: Record<string, string> };
  namespaceSelector: { matchNames?: string[]; any?: boolean };
  endpoints: { port: string; path: string; interval: string; scrapeTimeout: string }[];
}

export function wiringProblems(manifests: Manifest[]): string[] {
  const problems: string[] = [];
  const monitor = manifests.find((m) => m.kind === 'ServiceMonitor');
  const services = manifests.filter((m) => m.kind === 'Service');
  const deployments = manifests.filter((m) => m.kind === 'Deployment');
  if (!monitor) return ['no ServiceMonitor'];
  const ms = spec<MonitorSpec>(monitor);

  const service = services.find((s) => selects(ms.selector.matchLabels, s.metadata.labels ?? {}));
  if (!service) return ['the ServiceMonitor selector matches no Service labels'];
  const ns = ms.namespaceSelector;
  if (!(ns.any === true || (ns.matchNames ?? []).includes(service.metadata.namespace ?? ''))) {
    problems.push(`the namespaceSelector excludes the Service namespace ${service.metadata.namespace}`);
  }

  const ss = spec<ServiceSpec>(service);
  const pods = deployments.filter((d) => selects(ss.selector, spec<{ template: PodTemplate }>(d).template.metadata.labels));
  if (pods.length !== 1) problems.push(`the Service selects the pods of ${pods.length} Deployments, expected 1`);

  for (const endpoint of ms.endpoints) {
    const port = ss.ports.find((p) => p.name === endpoint.port);
    if (!port) {
      problems.push(`endpoint port ${JSON.stringify(endpoint.port)} is not a named Service port`);
      continue;
    }
    if (endpoint.path !== '/metrics') problems.push(`endpoint path ${endpoint.path} is not /metrics`);
    if (parseDuration(endpoint.scrapeTimeout) > parseDuration(endpoint.interval)) problems.push('scrapeTimeout exceeds the interval');
    for (const deployment of pods) {
      const containers = spec<{ template: PodTemplate }>(deployment).template.spec.containers;
      const served = containers.some((c) =>
        (c.ports ?? []).some((p) =>
          typeof port.targetPort === 'string' ? p.name === port.targetPort : p.containerPort === port.targetPort,
        ),
      );
      if (!served) problems.push(`targetPort ${port.targetPort} is no container port of ${deployment.metadata.name}`);
    }
  }
  return problems;
}
