// The Grafana side of smoke, through Grafana's HTTP API alone: Grafana is up, the redline
// dashboard is loaded (by uid), its Prometheus datasource resolves, and the request-rate and
// error-ratio panels' queries return data through Grafana's own query API (/api/ds/query).
import type { Check } from './checks.ts';

export const grafanaCheckNames = {
  ready: 'grafana ready',
  dashboard: 'grafana dashboard',
  datasource: 'grafana datasource',
  queries: 'grafana queries',
} as const;

/** The dashboard charts/redline ships, and the panels whose queries must return data. */
export const dashboardUid = 'redline-red';
export const panelTitles = ['Request rate by route', 'Error ratio by route'];

export interface GrafanaOptions {
  namespace: string;
  job: string;
}

interface DataSourceRef {
  type?: string;
  uid?: string;
}
interface Panel {
  title?: string;
  type?: string;
  datasource?: DataSourceRef;
  targets?: { refId?: string; expr?: string; datasource?: DataSourceRef }[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query?: unknown;
  current?: { value?: unknown };
}
interface Dashboard {
  uid: string;
  title: string;
  panels?: Panel[];
  templating?: { list?: Variable[] };
}
interface DataSource {
  uid: string;
  name: string;
  type: string;
  isDefault?: boolean;
}
interface Frame {
  schema?: { fields?: { type?: string }[] };
  data?: { values?: unknown[][] };
}
interface QueryResults {
  results?: Record<string, { status?: number; error?: string; frames?: Frame[] }>;
}

export class GrafanaClient {
  readonly url: string;
  readonly #authorization: string;

  constructor(url: string, user: string, password: string) {
    this.url = url.replace(/\/+$/, '');
    this.#authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }

  /** Status and parsed body; never throws on an HTTP status (the checks say what it means). */
  async request<T>(path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        authorization: this.#authorization,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: kept as text for the message
    }
    return { status: response.status, body: parsed as T };
  }
}

function message(body: unknown): string {
  if (typeof body === 'object' && body && 'message' in body) return String((body as { message: unknown }).message);
  return String(body).slice(0, 200);
}

function allPanels(panels: Panel[] = []): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels)]);
}

/** The dashboard variables smoke pins (the rest Grafana's backend interpolates: $__rate_interval). */
export function interpolate(expr: string, options: GrafanaOptions): string {
  const values: Record<string, string> = { namespace: options.namespace, job: options.job, route: '.*' };
  return expr.replace(
    /\$\{(\w+)\}|\$(\w+)/g,
    (whole, braced: string | undefined, bare: string | undefined) => values[braced ?? bare ?? ''] ?? whole,
  );
}

/**
 * The uid a panel's datasource reference resolves to: a literal uid, or a `${var}` naming a
 * datasource variable, whose current value or else the default datasource of its type is used,
 * as Grafana does when the dashboard is opened.
 */
async function resolveDatasource(
  client: GrafanaClient,
  dashboard: Dashboard,
  ref: DataSourceRef | undefined,
): Promise<{ uid?: string; why: string }> {
  const variable = /^\$\{?(\w+)\}?$/.exec(ref?.uid ?? '')?.[1];
  if (ref?.uid && !variable) return { uid: ref.uid, why: `uid ${ref.uid}` };
  const declared = dashboard.templating?.list?.find((v) => v.name === variable && v.type === 'datasource');
  const type = typeof declared?.query === 'string' ? declared.query : (ref?.type ?? 'prometheus');
  const current = declared?.current?.value;
  if (typeof current === 'string' && current && !current.startsWith('$')) return { uid: current, why: `variable ${variable} = ${current}` };
  const list = await client.request<DataSource[]>('/api/datasources');
  if (list.status !== 200 || !Array.isArray(list.body))
    return { why: `GET /api/datasources answered ${list.status}: ${message(list.body)}` };
  const ofType = list.body.filter((d) => d.type === type);
  const chosen = ofType.find((d) => d.isDefault) ?? ofType[0];
  if (!chosen)
    return { why: `no ${type} datasource in Grafana (it has ${list.body.map((d) => `${d.name} (${d.type})`).join(', ') || 'none'})` };
  return { uid: chosen.uid, why: `variable ${variable ?? '(none)'}: ${chosen.isDefault ? 'default' : 'first'} ${type} datasource` };
}

function hasData(frames: Frame[] = []): number {
  let points = 0;
  for (const frame of frames) {
    const fields = frame.schema?.fields ?? [];
    const values = frame.data?.values ?? [];
    values.forEach((column, i) => {
      if (fields[i]?.type === 'time') return;
      points += column.filter((v) => typeof v === 'number' && Number.isFinite(v)).length;
    });
  }
  return points;
}

/** A step's check, and what the next step needs when it passed. */
type Step<T> = { check: Check; value?: T };

async function healthStep(client: GrafanaClient): Promise<Step<true>> {
  const health = await client.request<{ database?: string; version?: string }>('/api/health');
  if (health.status !== 200 || health.body?.database !== 'ok') {
    const detail = `Grafana at ${client.url}: /api/health answered ${health.status}: ${JSON.stringify(health.body).slice(0, 200)}`;
    return { check: { name: grafanaCheckNames.ready, ok: false, detail } };
  }
  return {
    check: { name: grafanaCheckNames.ready, ok: true, detail: `${client.url} (Grafana ${health.body.version ?? '?'})` },
    value: true,
  };
}

/** The dashboard by its uid, with every panel the smoke reads. */
async function dashboardStep(client: GrafanaClient): Promise<Step<{ dashboard: Dashboard; wanted: Panel[] }>> {
  const found = await client.request<{ dashboard?: Dashboard }>(`/api/dashboards/uid/${dashboardUid}`);
  if (found.status !== 200 || !found.body?.dashboard) {
    const detail =
      found.status === 404
        ? `dashboard ${dashboardUid} not loaded (is the dashboard ConfigMap labelled for Grafana's sidecar?)`
        : `GET /api/dashboards/uid/${dashboardUid} answered ${found.status}: ${message(found.body)}`;
    return { check: { name: grafanaCheckNames.dashboard, ok: false, detail } };
  }
  const dashboard = found.body.dashboard;
  const panels = allPanels(dashboard.panels);
  const wanted = panelTitles.map((title) => ({ title, panel: panels.find((p) => p.title === title) }));
  const missing = wanted.filter((w) => !w.panel).map((w) => w.title);
  const detail =
    missing.length === 0
      ? `"${dashboard.title}" (uid ${dashboardUid}, ${panels.filter((p) => p.type !== 'row').length} panels)`
      : `"${dashboard.title}" has no panel ${missing.map((t) => `"${t}"`).join(', ')}`;
  const check = { name: grafanaCheckNames.dashboard, ok: missing.length === 0, detail };
  return missing.length ? { check } : { check, value: { dashboard, wanted: wanted.map((w) => w.panel!) } };
}

/** The datasource the panels name (through the dashboard's variable when they use one). */
async function datasourceStep(client: GrafanaClient, dashboard: Dashboard, panel: Panel): Promise<Step<DataSource>> {
  const resolved = await resolveDatasource(client, dashboard, panel.datasource);
  const datasource = resolved.uid
    ? await client.request<DataSource>(`/api/datasources/uid/${encodeURIComponent(resolved.uid)}`)
    : undefined;
  if (datasource?.status !== 200) {
    const detail = datasource
      ? `${resolved.why}: GET /api/datasources/uid/${resolved.uid} answered ${datasource.status}: ${message(datasource.body)}`
      : resolved.why;
    return { check: { name: grafanaCheckNames.datasource, ok: false, detail } };
  }
  const { name, type, uid } = datasource.body;
  return {
    check: { name: grafanaCheckNames.datasource, ok: true, detail: `${name} (${type}, uid ${uid}; ${resolved.why})` },
    value: datasource.body,
  };
}

/** Every query of the wanted panels through Grafana's query API: each must return data. */
async function queriesStep(client: GrafanaClient, panels: Panel[], datasource: DataSource, options: GrafanaOptions): Promise<Check> {
  const queries = panels.flatMap((panel) =>
    (panel.targets ?? [])
      .filter((t) => t.expr)
      .map((t, i) => ({
        refId: `${panel.title}#${t.refId ?? i}`,
        datasource: { type: datasource.type, uid: datasource.uid },
        expr: interpolate(t.expr!, options),
        range: true,
        instant: false,
        intervalMs: 15_000,
        maxDataPoints: 100,
      })),
  );
  const answer = await client.request<QueryResults>('/api/ds/query', { queries, from: 'now-5m', to: 'now' });
  if (answer.status !== 200 && answer.status !== 207) {
    return { name: grafanaCheckNames.queries, ok: false, detail: `POST /api/ds/query answered ${answer.status}: ${message(answer.body)}` };
  }
  const problems: string[] = [];
  const counts: string[] = [];
  for (const query of queries) {
    const result = answer.body.results?.[query.refId];
    if (!result) problems.push(`${query.refId}: no result`);
    else if (result.error) problems.push(`${query.refId}: ${result.error}`);
    else {
      const points = hasData(result.frames);
      if (points === 0) problems.push(`${query.refId}: no data`);
      else counts.push(`${query.refId.split('#')[0]}: ${points} point(s)`);
    }
  }
  return {
    name: grafanaCheckNames.queries,
    ok: problems.length === 0,
    detail: problems.length === 0 ? counts.join(', ') : problems.join('; '),
  };
}

/** Grafana's checks in order; the first that fails ends them (the next would only repeat it). */
export async function grafanaChecks(client: GrafanaClient, options: GrafanaOptions): Promise<Check[]> {
  const health = await healthStep(client);
  if (!health.value) return [health.check];
  const found = await dashboardStep(client);
  if (!found.value) return [health.check, found.check];
  const { dashboard, wanted } = found.value;
  const datasource = await datasourceStep(client, dashboard, wanted[0]!);
  if (!datasource.value) return [health.check, found.check, datasource.check];
  return [health.check, found.check, datasource.check, await queriesStep(client, wanted, datasource.value, options)];
}
