// Lookups over rendered manifests shared by the chart tests.
import { expect } from 'chai';
import type { Manifest } from '../../../scripts/lib/helm.ts';

export interface Container {
  name: string;
  image: string;
  command?: string[];
  env?: { name: string; value?: string }[];
  ports?: { name?: string; containerPort: number }[];
  securityContext?: Record<string, unknown>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: { name: string; mountPath: string }[];
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
}

export interface PodSpec {
  containers: Container[];
  securityContext?: Record<string, unknown>;
  automountServiceAccountToken?: boolean;
  terminationGracePeriodSeconds?: number;
  serviceAccountName?: string;
  volumes?: { name: string; emptyDir?: Record<string, unknown> }[];
}

export interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: PodSpec;
}

export function find(manifests: Manifest[], kind: string, name?: string): Manifest | undefined {
  return manifests.find((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
}

export function get(manifests: Manifest[], kind: string, name?: string): Manifest {
  const found = find(manifests, kind, name);
  expect(found, `${kind}${name ? ` ${name}` : ''} in the rendered chart`).to.not.equal(undefined);
  return found!;
}

export function spec<T>(manifest: Manifest): T {
  return manifest.spec as T;
}

/** Every pod spec the chart renders, with where it came from. */
export function podSpecs(manifests: Manifest[]): { source: string; pod: PodSpec }[] {
  const out: { source: string; pod: PodSpec }[] = [];
  for (const m of manifests) {
    if (m.kind === 'Deployment')
      out.push({ source: `Deployment ${m.metadata.name}`, pod: spec<{ template: PodTemplate }>(m).template.spec });
    if (m.kind === 'Pod') out.push({ source: `Pod ${m.metadata.name}`, pod: spec<PodSpec>(m) });
  }
  return out;
}

/** True when every key=value of `selector` is among `labels`. */
export function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => labels[key] === value);
}
