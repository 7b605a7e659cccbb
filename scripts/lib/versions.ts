// The pinned versions in versions.env (KEY=value lines), for scripts and tests.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const versionsFile = fileURLToPath(new URL('../../versions.env', import.meta.url));

export interface Versions {
  NODE_VERSION: string;
  KIND_VERSION: string;
  KIND_NODE_IMAGE: string;
  KPS_VERSION: string;
  KUBECTL_LAYER_PACKAGE: string;
  KUBECTL_LAYER_VERSION: string;
  KUBECTL_MINIMUM: string;
  HELM_MINIMUM: string;
  PROMETHEUS_VERSION: string;
  PROMETHEUS_SHA256: string;
  PROMETHEUS_MINIMUM: string;
}

const keys: (keyof Versions)[] = [
  'NODE_VERSION',
  'KIND_VERSION',
  'KIND_NODE_IMAGE',
  'KPS_VERSION',
  'KUBECTL_LAYER_PACKAGE',
  'KUBECTL_LAYER_VERSION',
  'KUBECTL_MINIMUM',
  'HELM_MINIMUM',
  'PROMETHEUS_VERSION',
  'PROMETHEUS_SHA256',
  'PROMETHEUS_MINIMUM',
];

/** Parses KEY=value lines; comments and blank lines are skipped, anything else is an error. */
export function parseVersions(text: string): Versions {
  const found: Record<string, string> = {};
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Z][A-Z0-9_]*)=(\S+)$/.exec(line);
    if (!match) throw new Error(`versions.env line ${index + 1}: expected KEY=value without spaces or quotes, got "${raw}"`);
    found[match[1]!] = match[2]!;
  }
  const missing = keys.filter((k) => !found[k]);
  if (missing.length) throw new Error(`versions.env lacks ${missing.join(', ')}`);
  return found as unknown as Versions;
}

export const versions: Versions = parseVersions(readFileSync(versionsFile, 'utf8'));

/** "kindest/node:v1.36.1@sha256:…" → "1.36.1". */
export function nodeImageVersion(image: string = versions.KIND_NODE_IMAGE): string {
  const match = /:v(\d+\.\d+\.\d+)(?:@|$)/.exec(image);
  if (!match) throw new Error(`no vX.Y.Z tag in ${image}`);
  return match[1]!;
}
