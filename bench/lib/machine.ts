// What a benchmark ran on: printed with every run, since numbers mean nothing without it.
import { readFileSync } from 'node:fs';
import os from 'node:os';

const PACKAGES = ['@redline/red-metrics', 'koa', '@koa/router', 'prom-client', 'express', 'express-prom-bundle', 'autocannon'];

function installedVersion(name: string): string {
  try {
    const path = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
    return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  } catch {
    return 'missing';
  }
}

export function machineReport(): string[] {
  const cpus = os.cpus();
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return [
    `date:     ${new Date().toISOString()}`,
    `machine:  ${os.type()} ${os.release()} ${os.arch()}, ${cpus.length} x ${cpus[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, load ${load}`,
    `node:     ${process.version} (V8 ${process.versions.v8})`,
    `packages: ${PACKAGES.map((name) => `${name}@${installedVersion(name)}`).join(', ')}`,
  ];
}
