// What smoke prints: a readable report with a per-route RED table, or one JSON document.
import type { Pass } from './checks.ts';
import { formatRedTable, type RouteRed } from '../lib/red-summary.ts';

export interface Outcome {
  ok: boolean;
  prometheus: string;
  /** Where the port-forward goes, when smoke opened one. */
  via?: string;
  /** Grafana asked (--grafana), and where its port-forward goes. */
  grafana?: string;
  grafanaVia?: string;
  elapsedMs: number;
  attempts: number;
  window: string;
  checks: Pass['checks'];
  red: RouteRed[];
  reasons: string[];
}

export function outcome(pass: Pass, context: Omit<Outcome, 'ok' | 'checks' | 'red' | 'reasons'>): Outcome {
  return {
    ok: pass.ok,
    ...context,
    checks: pass.checks,
    red: pass.red,
    reasons: pass.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`),
  };
}

export function formatReport(result: Outcome): string {
  const width = Math.max(...result.checks.map((c) => c.name.length));
  const lines = [
    `redline smoke: Prometheus ${result.prometheus}${result.via ? ` (port-forward to ${result.via})` : ''}`,
    ...(result.grafana
      ? [`              Grafana ${result.grafana}${result.grafanaVia ? ` (port-forward to ${result.grafanaVia})` : ''}`]
      : []),
    '',
    ...result.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(width)}  ${c.detail}`),
  ];
  if (result.red.length > 0) {
    lines.push(
      '',
      `RED per route (rate over ${result.window}):`,
      ...formatRedTable(result.red)
        .split('\n')
        .map((l) => `  ${l}`),
    );
  }
  const seconds = (result.elapsedMs / 1_000).toFixed(1);
  lines.push(
    '',
    result.ok
      ? `PASS after ${seconds}s (${result.attempts} attempt(s))`
      : `FAIL after ${seconds}s (${result.attempts} attempt(s)):\n${result.reasons.map((r) => `  - ${r}`).join('\n')}`,
  );
  return lines.join('\n');
}
