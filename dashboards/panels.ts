// Panel specs (what a panel shows) turned into Grafana Foundation SDK builders (how Grafana
// draws it). The SDK checks every option name and value against Grafana's own schema.
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

/** Every panel, target and variable reads the data source the $datasource variable picks. */
export const DATASOURCE: common.DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

export interface QuerySpec {
  expr: string;
  legend: string;
  /** Also fetch the exemplars of the query's series (latency: links to the traces behind a point). */
  exemplars?: boolean;
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

export interface RowSpec {
  title: string;
  panels: PanelSpec[];
}

function target(query: QuerySpec, index: number, instant: boolean): DataqueryBuilder {
  const builder = new DataqueryBuilder()
    .datasource(DATASOURCE)
    .expr(query.expr)
    .legendFormat(query.legend)
    .refId(String.fromCharCode(65 + index));
  if (query.exemplars && !instant) builder.exemplar(true);
  return instant ? builder.instant() : builder;
}

function thresholds(spec: PanelSpec, base: string): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder()
    .mode(dashboard.ThresholdsMode.Absolute)
    .steps([{ color: base, value: null }, ...(spec.thresholds ?? []).map((t) => ({ color: t.color, value: t.value }))]);
}

/** Options both panel kinds share: identity, size, unit, range and queries. */
function withBasics<B extends timeseries.PanelBuilder | stat.PanelBuilder>(builder: B, spec: PanelSpec, id: number, instant: boolean): B {
  builder
    .id(id)
    .title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .span(spec.width)
    .height(spec.height ?? 8)
    .unit(spec.unit)
    .targets(spec.queries.map((query, index) => target(query, index, instant)));
  if (spec.min !== undefined) builder.min(spec.min);
  if (spec.max !== undefined) builder.max(spec.max);
  if (spec.decimals !== undefined) builder.decimals(spec.decimals);
  return builder;
}

export function timeseriesPanel(spec: PanelSpec, id: number): timeseries.PanelBuilder {
  return withBasics(new timeseries.PanelBuilder(), spec, id, false)
    .thresholds(thresholds(spec, 'transparent'))
    .colorScheme(new dashboard.FieldColorBuilder().mode(dashboard.FieldColorModeId.PaletteClassic))
    .drawStyle(common.GraphDrawStyle.Line)
    .lineWidth(1)
    .fillOpacity(10)
    .showPoints(common.VisibilityMode.Never)
    .spanNulls(false)
    .thresholdsStyle(
      new common.GraphThresholdsStyleConfigBuilder().mode(
        spec.thresholds ? common.GraphThresholdsStyleMode.Line : common.GraphThresholdsStyleMode.Off,
      ),
    )
    .legend(
      new common.VizLegendOptionsBuilder()
        .displayMode(common.LegendDisplayMode.Table)
        .placement(common.LegendPlacement.Bottom)
        .calcs(['lastNotNull', 'max'])
        .showLegend(true),
    )
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending));
}

export function statPanel(spec: PanelSpec, id: number): stat.PanelBuilder {
  return withBasics(new stat.PanelBuilder(), spec, id, true)
    .thresholds(thresholds(spec, 'red'))
    .colorScheme(new dashboard.FieldColorBuilder().mode(dashboard.FieldColorModeId.Thresholds))
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).fields('').values(false))
    .colorMode(common.BigValueColorMode.Background)
    .graphMode(common.BigValueGraphMode.None)
    .textMode(common.BigValueTextMode.ValueAndName)
    .orientation(common.VizOrientation.Auto)
    .justifyMode(common.BigValueJustifyMode.Auto);
}

/**
 * Adds rows of panel specs to the dashboard, numbering rows and panels from 1. The builder
 * lays them out: each row on a line of its own, panels left to right, wrapping at 24 columns.
 */
export function withRows(builder: dashboard.DashboardBuilder, rows: RowSpec[]): dashboard.DashboardBuilder {
  let id = 1;
  for (const row of rows) {
    builder.withRow(new dashboard.RowBuilder(row.title).id(id++));
    for (const spec of row.panels) builder.withPanel(spec.kind === 'stat' ? statPanel(spec, id++) : timeseriesPanel(spec, id++));
  }
  return builder;
}

/** A "query" variable over label_values(), refreshed when the time range changes. */
export function labelValuesVariable(
  name: string,
  label: string,
  query: string,
  options: { multi?: boolean } = {},
): dashboard.QueryVariableBuilder {
  const builder = new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCE)
    .definition(query)
    .query({ query, refId: `${name}-query`, qryType: 1 })
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .hide(dashboard.VariableHide.DontHide)
    .regex('');
  return options.multi ? builder.multi(true).includeAll(true).allValue('.+') : builder.multi(false).includeAll(false);
}

/** The Prometheus data source picker every query reads. */
export function datasourceVariable(): dashboard.DatasourceVariableBuilder {
  return new dashboard.DatasourceVariableBuilder('datasource')
    .label('Data source')
    .type('prometheus')
    .regex('')
    .hide(dashboard.VariableHide.DontHide);
}
