// What smoke prints: a readable report with a per-route RED table, or one JSON document.
import type { Pass } from './checks.ts';
import type { RedRow } from './red.ts';

export interface Outcome {
  ok: boolean;
  prometheus: string;
  /** Where the port-forward goes, when smoke opened one. */
  via?: string;
  elapsedMs: number;
  attempts: number;
  window: string;
  checks: Pass['checks'];
  red: RedRow[];
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

const number = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const percent = (n: number) => (Number.isFinite(n) ? `${(n * 100).toFixed(2)}%` : '-');
const millis = (s: number) => (Number.isFinite(s) ? `${(s * 1_000).toFixed(1)} ms` : '-');

export function redLines(rows: RedRow[], window: string): string[] {
  const table = [['route', 'req/s', 'errors', 'p95'], ...rows.map((r) => [r.route, number(r.rate, 2), percent(r.errorRatio), millis(r.p95)])];
  const widths = table[0]!.map((_, col) => Math.max(...table.map((row) => row[col]!.length)));
  const line = (row: string[]) => `  ${row.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!))).join('   ')}`;
  return [`RED per route (rate over ${window}):`, ...table.map(line)];
}

export function formatReport(result: Outcome): string {
  const width = Math.max(...result.checks.map((c) => c.name.length));
  const lines = [
    `redline smoke: Prometheus ${result.prometheus}${result.via ? ` (port-forward to ${result.via})` : ''}`,
    '',
    ...result.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(width)}  ${c.detail}`),
  ];
  if (result.red.length > 0) lines.push('', ...redLines(result.red, result.window));
  const seconds = (result.elapsedMs / 1_000).toFixed(1);
  lines.push('', result.ok
    ? `PASS after ${seconds}s (${result.attempts} attempt(s))`
    : `FAIL after ${seconds}s (${result.attempts} attempt(s)):\n${result.reasons.map((r) => `  - ${r}`).join('\n')}`);
  return lines.join('\n');
}
