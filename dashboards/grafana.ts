// Small builders for the parts of Grafana's dashboard JSON model that redline uses. Plain
// objects, so the generated JSON is exactly what these functions return.

export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;

export interface Target {
  expr: string;
  legendFormat: string;
  refId: string;
  datasource: typeof DATASOURCE;
  instant?: boolean;
  range?: boolean;
}

export interface GridPos {
  h: number;
  w: number;
  x: number;
  y: number;
}

export interface Panel {
  id: number;
  type: 'timeseries' | 'stat' | 'row';
  title: string;
  description?: string;
  gridPos: GridPos;
  datasource?: typeof DATASOURCE;
  targets?: Target[];
  fieldConfig?: { defaults: Record<string, unknown>; overrides: unknown[] };
  options?: Record<string, unknown>;
  collapsed?: boolean;
  panels?: Panel[];
}

export interface QuerySpec {
  expr: string;
  legend: string;
}

export interface PanelSpec {
  title: string;
  description: string;
  unit: string;
  queries: QuerySpec[];
  /** Grid width out of 24. */
  width: number;
  height?: number;
  min?: number;
  max?: number;
  /** Threshold steps (value, color) drawn as lines or used as stat colours. */
  thresholds?: { value: number; color: string }[];
  decimals?: number;
  /** A time series graph (default) or a single-value stat. */
  kind?: 'timeseries' | 'stat';
}

function targets(queries: QuerySpec[], instant = false): Target[] {
  return queries.map((query, index) => ({
    datasource: DATASOURCE,
    expr: query.expr,
    legendFormat: query.legend,
    refId: String.fromCharCode(65 + index),
    ...(instant ? { instant: true, range: false } : {}),
  }));
}

function thresholdSteps(spec: PanelSpec, base: string) {
  return {
    mode: 'absolute',
    steps: [{ color: base, value: null }, ...(spec.thresholds ?? []).map((t) => ({ color: t.color, value: t.value }))],
  };
}

function defaults(spec: PanelSpec, base: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    unit: spec.unit,
    ...(spec.min === undefined ? {} : { min: spec.min }),
    ...(spec.max === undefined ? {} : { max: spec.max }),
    ...(spec.decimals === undefined ? {} : { decimals: spec.decimals }),
    thresholds: thresholdSteps(spec, base),
    ...extra,
  };
}

export function timeseries(spec: PanelSpec, gridPos: GridPos, id: number): Panel {
  return {
    id,
    type: 'timeseries',
    title: spec.title,
    description: spec.description,
    datasource: DATASOURCE,
    gridPos,
    targets: targets(spec.queries),
    fieldConfig: {
      defaults: defaults(spec, 'transparent', {
        color: { mode: 'palette-classic' },
        custom: {
          drawStyle: 'line',
          lineWidth: 1,
          fillOpacity: 10,
          showPoints: 'never',
          spanNulls: false,
          thresholdsStyle: { mode: spec.thresholds ? 'line' : 'off' },
        },
      }),
      overrides: [],
    },
    options: {
      legend: { displayMode: 'table', placement: 'bottom', calcs: ['lastNotNull', 'max'], showLegend: true },
      tooltip: { mode: 'multi', sort: 'desc' },
    },
  };
}

export function stat(spec: PanelSpec, gridPos: GridPos, id: number): Panel {
  return {
    id,
    type: 'stat',
    title: spec.title,
    description: spec.description,
    datasource: DATASOURCE,
    gridPos,
    targets: targets(spec.queries, true),
    fieldConfig: { defaults: defaults(spec, 'red', { color: { mode: 'thresholds' } }), overrides: [] },
    options: {
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      colorMode: 'background',
      graphMode: 'none',
      textMode: 'value_and_name',
      orientation: 'auto',
      justifyMode: 'auto',
    },
  };
}

export function row(title: string, y: number, id: number): Panel {
  return { id, type: 'row', title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] };
}

/** A "query" variable over label_values(), refreshed when the time range changes. */
export function labelValuesVariable(name: string, label: string, query: string, options: { multi?: boolean } = {}) {
  return {
    name,
    label,
    type: 'query',
    datasource: DATASOURCE,
    definition: query,
    query: { query, refId: `${name}-query`, qryType: 1 },
    refresh: 2,
    sort: 1,
    hide: 0,
    regex: '',
    current: {},
    options: [],
    ...(options.multi ? { multi: true, includeAll: true, allValue: '.+' } : { multi: false, includeAll: false }),
  };
}

export function datasourceVariable() {
  return {
    name: 'datasource',
    label: 'Data source',
    type: 'datasource',
    query: 'prometheus',
    refresh: 1,
    regex: '',
    hide: 0,
    current: {},
    options: [],
  };
}

/** Lays rows of panel specs out left to right, top to bottom, numbering panels from 1. */
export function layout(rows: { title: string; panels: PanelSpec[] }[]): Panel[] {
  const out: Panel[] = [];
  let y = 0;
  let id = 1;
  for (const section of rows) {
    out.push(row(section.title, y, id++));
    y += 1;
    let x = 0;
    let rowHeight = 0;
    for (const spec of section.panels) {
      const h = spec.height ?? 8;
      if (x + spec.width > 24) {
        y += rowHeight;
        x = 0;
        rowHeight = 0;
      }
      const gridPos = { h, w: spec.width, x, y };
      out.push(spec.kind === 'stat' ? stat(spec, gridPos, id++) : timeseries(spec, gridPos, id++));
      x += spec.width;
      rowHeight = Math.max(rowHeight, h);
    }
    y += rowHeight;
  }
  return out;
}
