// A small client for the Prometheus HTTP API (v1), shared by the local stack, the smoke test
// and the tests. It knows only what Prometheus shows.

export interface Sample {
  metric: Record<string, string>;
  value: number;
}

export interface Target {
  scrapePool: string;
  scrapeUrl: string;
  labels: Record<string, string>;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  lastScrape: string;
  scrapeInterval?: string;
}

/** A rule as Prometheus reports it loaded (GET /api/v1/rules); scripts/rules.ts has the rule file's shape. */
export interface PromRule {
  type: 'recording' | 'alerting';
  name: string;
  query: string;
  health: string;
  lastError?: string;
  state?: 'inactive' | 'pending' | 'firing';
  /** An alerting rule's `for`, in seconds. */
  duration?: number;
  labels?: Record<string, string>;
}

/** A rule group as Prometheus reports it loaded (GET /api/v1/rules). */
export interface PromRuleGroup {
  name: string;
  file: string;
  interval: number;
  rules: PromRule[];
}

export interface Alert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
  activeAt: string;
  value: string;
}

export class PrometheusApiError extends Error {}

export class PrometheusClient {
  readonly url: string;

  constructor(url: string) {
    this.url = url.replace(/\/+$/, '');
  }

  /** A range query: each series' points as [unix seconds, value]. */
  async queryRange(
    expr: string,
    start: Date,
    end: Date,
    stepSeconds: number,
  ): Promise<{ metric: Record<string, string>; values: [number, number][] }[]> {
    const params = new URLSearchParams({
      query: expr,
      start: String(start.getTime() / 1000),
      end: String(end.getTime() / 1000),
      step: String(stepSeconds),
    });
    const data = await this.get<{ result: { metric: Record<string, string>; values: [number, string][] }[] }>('query_range', params);
    return data.result.map((series) => ({
      metric: series.metric,
      values: series.values.map(([t, v]) => [t, Number(v)] as [number, number]),
    }));
  }

  /** An instant query; vectors become samples, a scalar becomes one sample with no labels. */
  async query(expr: string, time?: Date): Promise<Sample[]> {
    const params = new URLSearchParams({ query: expr });
    if (time) params.set('time', String(time.getTime() / 1000));
    const data = await this.get<{ resultType: string; result: unknown }>('query', params);
    if (data.resultType === 'scalar') {
      const [, value] = data.result as [number, string];
      return [{ metric: {}, value: Number(value) }];
    }
    if (data.resultType !== 'vector') throw new PrometheusApiError(`unexpected result type ${data.resultType} for ${expr}`);
    return (data.result as { metric: Record<string, string>; value: [number, string] }[]).map((r) => ({
      metric: r.metric,
      value: Number(r.value[1]),
    }));
  }

  async targets(): Promise<Target[]> {
    const data = await this.get<{ activeTargets: Target[] }>('targets', new URLSearchParams({ state: 'active' }));
    return data.activeTargets;
  }

  async ruleGroups(): Promise<PromRuleGroup[]> {
    const data = await this.get<{ groups: PromRuleGroup[] }>('rules');
    return data.groups;
  }

  async alerts(): Promise<Alert[]> {
    const data = await this.get<{ alerts: Alert[] }>('alerts');
    return data.alerts;
  }

  /** The label values Prometheus knows for `name`. */
  async labelValues(name: string, match?: string): Promise<string[]> {
    const params = new URLSearchParams();
    if (match) params.set('match[]', match);
    return this.get<string[]>(`label/${encodeURIComponent(name)}/values`, params);
  }

  async ready(): Promise<boolean> {
    try {
      const response = await fetch(`${this.url}/-/ready`, { signal: AbortSignal.timeout(2_000) });
      return response.ok;
    } catch {
      return false;
    }
  }

  private async get<T>(path: string, params = new URLSearchParams()): Promise<T> {
    const query = params.size > 0 ? `?${params}` : '';
    const response = await fetch(`${this.url}/api/v1/${path}${query}`, { signal: AbortSignal.timeout(10_000) });
    const body = (await response.json().catch(() => undefined)) as
      | { status: string; data: T; error?: string; errorType?: string }
      | undefined;
    if (body?.status !== 'success') {
      const reason = body?.error ?? `HTTP ${response.status}`;
      throw new PrometheusApiError(`Prometheus ${path} failed: ${reason}`);
    }
    return body.data;
  }
}
