// One source for RED: the recording rules write every RED expression, and the dashboard, the
// local summary (scripts/lib/red-summary.ts) and the smoke (scripts/smoke/checks.ts) read the
// series they record. This finds the series an expression reads, as the real Prometheus parses
// it (GET /api/v1/parse_query, Prometheus 3), and which of those the rendered rules do not
// record: nothing, apart from the raw reads listed below with their reason.
import type { RuleGroup } from '../../../scripts/lib/rules.ts';

export interface Matcher {
  name: string;
  type: '=' | '!=' | '=~' | '!~';
  value: string;
}

/** A series selector in an expression: the metric name and every label matcher. */
export interface SeriesRead {
  metric: string;
  matchers: Matcher[];
}

export type Reader = 'dashboard' | 'summary' | 'smoke';

export interface RawRead {
  /** The expression with every selector's matchers left out: `count(http_requests_total{})`. */
  shape: string;
  why: string;
  /** Reads a RED input for its exemplars, which only scraped series carry: the panel must ask for them. */
  exemplars?: true;
}

const SATURATION = 'saturation per instance, shown as scraped: not RED, and nothing else computes it';

/**
 * Expressions read raw series on purpose, by reader, each with the reason (also said where it
 * is sent). Every other expression these readers send reads only series the rules record.
 */
export const RAW_READS: Record<Reader, RawRead[]> = {
  dashboard: [
    { shape: 'sum by (instance) (http_requests_in_flight{})', why: SATURATION },
    { shape: 'max by (instance) (nodejs_eventloop_lag_p99_seconds{})', why: SATURATION },
    { shape: 'sum by (instance) (process_resident_memory_bytes{})', why: SATURATION },
    { shape: 'sum by (instance) (nodejs_heap_size_used_bytes{})', why: SATURATION },
    {
      shape: 'sum by (instance) (rate(process_cpu_seconds_total{}[$__rate_interval]))',
      why: `${SATURATION}; at the dashboard's resolution`,
    },
    {
      shape: 'histogram_quantile(0.99, sum by (route, le) (rate(http_request_duration_seconds_bucket{}[$__rate_interval])))',
      why: 'exemplars: they live only on the scraped histogram series, a recording rule keeps none',
      exemplars: true,
    },
    {
      shape: 'histogram_quantile(0.99, sum by (route) (rate(http_request_duration_seconds{}[$__rate_interval])))',
      why: 'exemplars (native histogram): they live only on the scraped series, a recording rule keeps none',
      exemplars: true,
    },
  ],
  summary: [],
  smoke: [
    {
      shape: 'count(http_requests_total{})',
      why: "metrics present: the service's own series reach Prometheus, whether or not a rule is loaded",
    },
    {
      shape: 'sum(histogram_count(http_request_duration_seconds{}))',
      why: 'native histograms: the native series that the native rules read are scraped at all',
    },
  ],
};

/** `expr` with the matchers of every selector left out. */
export function shapeOf(expr: string): string {
  return expr.replace(/\{[^{}]*\}/g, '{}');
}

interface AstNode {
  type?: string;
  name?: string;
  matchers?: Matcher[];
  [key: string]: unknown;
}

function collectSelectors(node: unknown, found: SeriesRead[]): void {
  if (Array.isArray(node)) {
    for (const item of node) collectSelectors(item, found);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const ast = node as AstNode;
  if (ast.type === 'vectorSelector' || ast.type === 'matrixSelector') {
    const matchers = ast.matchers ?? [];
    const byName = matchers.find((m) => m.name === '__name__' && m.type === '=')?.value;
    found.push({ metric: ast.name || byName || '', matchers: matchers.filter((m) => m.name !== '__name__') });
  }
  for (const value of Object.values(ast)) collectSelectors(value, found);
}

/** The series selectors of `expr`, from the syntax tree Prometheus (>= 3) parses it into. */
export async function seriesRead(prometheusUrl: string, expr: string): Promise<SeriesRead[]> {
  const response = await fetch(`${prometheusUrl}/api/v1/parse_query`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query: expr }),
  });
  const body = (await response.json()) as { status: string; data?: unknown; error?: string };
  if (body.status !== 'success') throw new Error(`Prometheus cannot parse ${expr}: ${body.error ?? response.status}`);
  const found: SeriesRead[] = [];
  collectSelectors(body.data, found);
  return found;
}

/** label_values(selector, label) of a dashboard variable: the selector, or the series it names. */
export function labelValuesSelector(query: string): string | undefined {
  return /^label_values\((.+),\s*\w+\)$/.exec(query.trim())?.[1];
}

function matches(matcher: Matcher, value: string): boolean {
  const full = (pattern: string) => new RegExp(`^(?:${pattern})$`).test(value);
  if (matcher.type === '=') return value === matcher.value;
  if (matcher.type === '!=') return value !== matcher.value;
  if (matcher.type === '=~') return full(matcher.value);
  return !full(matcher.value);
}

/**
 * Why `read` selects nothing the rules record, or undefined when some recording rule of its
 * name sets every label it matches on that the rule fixes (quantile, slo): the recorded series
 * exists. Labels the rules carry over from the data (namespace, job, route) are the reader's.
 */
export function notRecorded(read: SeriesRead, groups: RuleGroup[]): string | undefined {
  const rules = groups.flatMap((g) => g.rules).filter((r) => r.record !== undefined && r.record === read.metric);
  if (rules.length === 0) return `${read.metric} is not recorded by the chart's rules`;
  const fits = rules.some((rule) => read.matchers.every((m) => rule.labels?.[m.name] === undefined || matches(m, rule.labels[m.name]!)));
  if (fits) return undefined;
  const selector = read.matchers.map((m) => `${m.name}${m.type}"${m.value}"`).join(', ');
  const recorded = rules.map((r) => JSON.stringify(r.labels ?? {})).join(', ');
  return `${read.metric}{${selector}} matches none of the recorded ${read.metric} series (labels ${recorded})`;
}

/**
 * What `reader` sends in `expr` that the rules do not record, unless the expression is one of
 * the reader's listed raw reads.
 */
export function unlisted(reader: Reader, expr: string, reads: SeriesRead[], groups: RuleGroup[]): string[] {
  const problems = reads.flatMap((read) => notRecorded(read, groups) ?? []);
  if (problems.length === 0 || RAW_READS[reader].some((raw) => raw.shape === shapeOf(expr))) return [];
  return [`${reader} sends ${expr}: ${problems.join('; ')}`];
}
