// Reads the generated dashboard: its panels, their queries, its variables, and turns a query
// into what Grafana would send to Prometheus for given variable values.
import type { Dashboard, Panel, RowPanel, VariableModel } from '@grafana/grafana-foundation-sdk/dashboard';
import type { Dataquery } from '@grafana/grafana-foundation-sdk/prometheus';

export type { Dashboard, Panel };

export interface PanelQuery {
  panel: string;
  refId: string;
  expr: string;
  instant: boolean;
}

export function rows(dashboard: Dashboard): RowPanel[] {
  return (dashboard.panels ?? []).filter((p): p is RowPanel => p.type === 'row');
}

export function contentPanels(dashboard: Dashboard): Panel[] {
  return (dashboard.panels ?? []).filter((p): p is Panel => p.type !== 'row');
}

export function variables(dashboard: Dashboard): VariableModel[] {
  return dashboard.templating.list ?? [];
}

/** The Prometheus queries of a panel (every target the dashboard builds is one). */
export function promTargets(panel: Panel): Dataquery[] {
  return (panel.targets ?? []) as Dataquery[];
}

export function panelQueries(dashboard: Dashboard): PanelQuery[] {
  return contentPanels(dashboard).flatMap((panel) =>
    promTargets(panel).map((t) => ({ panel: panel.title ?? '', refId: t.refId ?? '', expr: t.expr, instant: t.instant === true })),
  );
}

/** Grafana's interpolation of $var, ${var} and [[var]] (the forms Grafana accepts). */
export function interpolate(expr: string, vars: Record<string, string>): string {
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g, (_whole, a?: string, b?: string, c?: string) => {
    const name = (a ?? b ?? c)!;
    if (!(name in vars)) throw new Error(`no value for variable $${name} in ${expr}`);
    return vars[name]!;
  });
}

/** label_values(selector, label) as used by the variables: the selector and the label. */
export function parseLabelValues(query: string): { match?: string; label: string } {
  const m = /^label_values\((?:(.+),\s*)?(\w+)\)$/.exec(query.trim());
  if (!m) throw new Error(`not a label_values() query: ${query}`);
  return { ...(m[1] ? { match: m[1] } : {}), label: m[2]! };
}
