// In mocha: the pinned kube-prometheus-stack chart (scripts/lib/kube-prometheus-stack.ts), or
// the spec skipped with one loud banner per run when the chart cannot be had.
import type { Context } from 'mocha';
import {
  findKpsChart,
  KPS_CHART_NAME,
  KPS_DEFAULT_REF,
  KPS_VERSION,
  kpsChartLookedUp,
  PULL_TIMEOUT_MS,
} from '../../scripts/lib/kube-prometheus-stack.ts';

let warned = false;

/** Says loudly, once per run, that specs needing the chart are skipped, and why. */
export function warnKpsChartMissing(): void {
  if (warned) return;
  warned = true;
  const bar = '!'.repeat(100);
  console.warn(
    `\n${bar}\n!!! KUBE-PROMETHEUS-STACK SPECS SKIPPED: ${findKpsChart().why}.\n` +
      `!!! The kind values were NOT rendered with helm template. Set KPS_CHART_TGZ to a local ${KPS_CHART_NAME}, or run\n` +
      `!!! helm pull ${KPS_DEFAULT_REF} --version ${KPS_VERSION} -d .tools/charts, and rerun.\n${bar}\n`,
  );
}

/** In a mocha hook or test: the chart's path, or skip it (and say so loudly) when the chart is not to be had. */
export function requireKpsChart(ctx: Context): string {
  // The one pull attempt may take up to its bound, on top of the spec's own work.
  if (!kpsChartLookedUp() && ctx.timeout() > 0) ctx.timeout(ctx.timeout() + PULL_TIMEOUT_MS);
  const { chart } = findKpsChart();
  if (!chart) {
    warnKpsChartMissing();
    ctx.skip();
  }
  return chart!;
}
