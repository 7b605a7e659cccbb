// The chart's effective values for a set of values files, merged the way Helm merges them
// (maps deep, everything else replaced), for tests that derive expectations from values.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CHART_DIR } from '../../../../scripts/helm-template.ts';

export const VALUES_DIR = join(CHART_DIR, 'test', 'values');

export interface BurnRate {
  severity: string;
  longWindow: string;
  shortWindow: string;
  burnRate: number;
  for: string;
}

export interface ChartValues {
  slo: {
    period: string;
    availability: { enabled: boolean; objective: number };
    latency: { enabled: boolean; objective: number; thresholdSeconds: number };
    burnRates: BurnRate[];
  };
  alerts: { enabled: boolean; targetDownFor: string };
  serviceMonitor: { enabled: boolean };
  loadgen: { enabled: boolean; rate: number };
  [key: string]: unknown;
}

type Plain = Record<string, unknown>;
const isPlain = (value: unknown): value is Plain => typeof value === 'object' && value !== null && !Array.isArray(value);

export function merge(base: Plain, override: Plain): Plain {
  const out: Plain = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    out[key] = isPlain(current) && isPlain(value) ? merge(current, value) : value;
  }
  return out;
}

export async function loadValues(files: string[] = []): Promise<ChartValues> {
  let values = parse(await readFile(join(CHART_DIR, 'values.yaml'), 'utf8')) as Plain;
  for (const file of files) values = merge(values, (parse(await readFile(file, 'utf8')) ?? {}) as Plain);
  return values as ChartValues;
}

/** Prometheus duration ("1h30m", "3d") in milliseconds. */
export function durationMs(text: string): number {
  const units: Record<string, number> = { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 604800e3, y: 31536000e3 };
  if (text === '0') return 0;
  let total = 0;
  const rest = text.replace(/(\d+)(ms|s|m|h|d|w|y)/g, (_, n: string, unit: string) => {
    total += Number(n) * units[unit]!;
    return '';
  });
  if (rest !== '' || text === '') throw new Error(`not a Prometheus duration: ${JSON.stringify(text)}`);
  return total;
}

/** The image the chart's defaults render: values.yaml's image.repository at Chart.yaml's appVersion. */
export async function defaultImage(): Promise<string> {
  const values = parse(await readFile(join(CHART_DIR, 'values.yaml'), 'utf8')) as { image: { repository: string } };
  const chart = parse(await readFile(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as { appVersion: string };
  return `${values.image.repository}:${chart.appVersion}`;
}
