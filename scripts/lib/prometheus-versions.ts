// The Prometheus installations scripts/install-prometheus.sh leaves under .tools/prometheus/:
// 3.x, the default of every target and test, and 2.x for the compatibility runs when present.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PrometheusInstall {
  /** 3 or 2. */
  major: number;
  /** As the binary reports it, e.g. "3.5.3". */
  version: string;
  prometheus: string;
  promtool: string;
}

const toolsDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../.tools/prometheus');

/** "3.5.3" from `prometheus --version`; undefined when the binary does not run. */
export function binaryVersion(binary: string): string | undefined {
  try {
    const out = execFileSync(binary, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return /version (\d+\.\d+\.\d+)/.exec(out)?.[1];
  } catch {
    return undefined;
  }
}

function install(major: number): PrometheusInstall | undefined {
  const bin = join(toolsDir, String(major), 'bin');
  const prometheus = join(bin, 'prometheus');
  const promtool = join(bin, 'promtool');
  if (!existsSync(prometheus) || !existsSync(promtool)) return undefined;
  const version = binaryVersion(prometheus);
  return version && Number(version.split('.')[0]) === major ? { major, version, prometheus, promtool } : undefined;
}

let cached: PrometheusInstall[] | undefined;

/** Every installed major version, the default (3.x) first. Run `make bootstrap` to install them. */
export function prometheusInstalls(): PrometheusInstall[] {
  cached ??= [install(3), install(2)].filter((found): found is PrometheusInstall => found !== undefined);
  return cached;
}

/** The installation of one major version, or undefined when it is not installed. */
export function prometheusInstall(major: number): PrometheusInstall | undefined {
  return prometheusInstalls().find((found) => found.major === major);
}
