// The chart's effective values for a set of values files, merged the way Helm merges them
// (maps deep, everything else replaced), for tests that derive expectations from values.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CHART_DIR, mergeValues } from '../../../scripts/lib/helm.ts';

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

export async function loadValues(files: string[] = []): Promise<ChartValues> {
  let values: unknown = parse(await readFile(join(CHART_DIR, 'values.yaml'), 'utf8'));
  for (const file of files) values = mergeValues(values, parse(await readFile(file, 'utf8')) ?? {});
  return values as ChartValues;
}

/** The image the chart's defaults render: values.yaml's image.repository at Chart.yaml's appVersion. */
export async function defaultImage(): Promise<string> {
  const values = parse(await readFile(join(CHART_DIR, 'values.yaml'), 'utf8')) as { image: { repository: string } };
  const chart = parse(await readFile(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as { appVersion: string };
  return `${values.image.repository}:${chart.appVersion}`;
}
