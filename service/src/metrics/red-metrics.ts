// The RED metric family: one object owning the prom-client instruments and a cache of their
// labelled children, so the per-request path does no label-object work after warm-up.
// Measured (docs/benchmarks.md): prom-client's labelled counter inc hashes its labels on
// every call (~300 ns), so the request counter is kept as a plain number per child and
// handed to prom-client when it collects (at scrape time); the histogram is observed as is.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { checkNaming, errorType, type ErrorType } from './labels.ts';

/** OpenTelemetry's advised boundaries for HTTP server durations, in seconds. */
export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

export interface RedMetricsOptions {
  /** Prepended to every metric name (`myapp_` gives `myapp_http_requests_total`). */
  prefix?: string;
  /** Labels with one fixed value on every series (after the RED labels). */
  constLabels?: Record<string, string>;
  /** Classic histogram bucket upper bounds, in seconds (default: OpenTelemetry's). */
  buckets?: number[];
}

const RED_LABELS = ['method', 'route', 'status_code', 'error_type', 'le'] as const;

export interface KnownRoute {
  method: string;
  route: string;
  /** The status the route usually answers; its series are created at zero. */
  statusCode?: number;
}

interface Children {
  requests: Counter.Internal;
  /** Requests counted since prom-client last collected; added to `requests` on collect. */
  pending: number;
  duration: Histogram.Internal<string>;
  errors: Partial<Record<ErrorType, Counter.Internal>>;
}

export class RedMetrics {
  readonly requests: Counter<string>;
  readonly errors: Counter<string>;
  readonly duration: Histogram<string>;
  /** Requests being served: the gauge's one series (with the constant labels, if any). */
  readonly inFlight: Gauge.Internal<string>;
  /** method → route → status → children: nested lookups, so no key string per request. */
  private readonly children = new Map<string, Map<string, Map<number, Children>>>();
  private readonly withPending: Children[] = [];
  private readonly deferredRoutes: (() => KnownRoute[])[] = [];

  private readonly constValues: string[];
  private readonly constLabels: Record<string, string>;

  constructor(registry: Registry, options: RedMetricsOptions = {}) {
    const { prefix = '', constLabels = {}, buckets = DEFAULT_BUCKETS } = options;
    checkNaming(prefix, constLabels, RED_LABELS);
    const constNames = Object.keys(constLabels);
    this.constValues = Object.values(constLabels);
    this.constLabels = { ...constLabels };
    const registers = [registry];
    const flush = () => this.flushPending();
    this.requests = new Counter({
      name: `${prefix}http_requests_total`,
      help: 'HTTP requests served, by method, route template and status code.',
      labelNames: ['method', 'route', 'status_code', ...constNames],
      registers,
      collect: flush,
    });
    this.errors = new Counter({
      name: `${prefix}http_request_errors_total`,
      help: 'HTTP requests that failed on the server side (5xx), by error type.',
      labelNames: ['method', 'route', 'status_code', 'error_type', ...constNames],
      registers,
    });
    this.duration = new Histogram({
      name: `${prefix}http_request_duration_seconds`,
      help: 'Time from receiving a request to the end of its response, in seconds.',
      labelNames: ['method', 'route', 'status_code', ...constNames],
      buckets,
      registers,
    });
    this.inFlight = new Gauge({
      name: `${prefix}http_requests_in_flight`,
      help: 'HTTP requests being served right now.',
      labelNames: constNames,
      registers,
    }).labels(...this.constValues);
  }

  /** Records one finished (or abandoned) request. */
  observe(method: string, route: string, statusCode: number, seconds: number, threw: boolean): void {
    const children = this.childrenFor(method, route, statusCode);
    if (children.pending++ === 0) this.withPending.push(children);
    children.duration.observe(seconds);
    const type = errorType(statusCode, threw);
    if (type) {
      const counter = (children.errors[type] ??= this.errors.labels(method, route, String(statusCode), type, ...this.constValues));
      counter.inc();
    }
  }

  /** Creates the series of known routes at zero, so rate() has data before the first request. */
  initialise(routes: KnownRoute[]): void {
    for (const { method, route, statusCode = 200 } of routes) {
      const status = String(statusCode);
      this.requests.labels(method, route, status, ...this.constValues).inc(0);
      this.duration.zero({ method, route, status_code: status, ...this.constLabels });
      this.errors.labels(method, route, '500', 'exception', ...this.constValues).inc(0);
    }
  }

  /**
   * Creates the series `routes()` lists at zero, once, on the first collect or the first new
   * series, whichever comes first (so a router can still gain routes after start-up wiring).
   */
  initialiseLater(routes: () => KnownRoute[]): void {
    this.deferredRoutes.push(routes);
  }

  private initialiseDeferred(): void {
    if (this.deferredRoutes.length === 0) return;
    const sources = this.deferredRoutes.splice(0);
    for (const routes of sources) this.initialise(routes());
  }

  /** Hands the requests counted since the last collect to prom-client. */
  private flushPending(): void {
    this.initialiseDeferred();
    for (const children of this.withPending) {
      children.requests.inc(children.pending);
      children.pending = 0;
    }
    this.withPending.length = 0;
  }

  private childrenFor(method: string, route: string, statusCode: number): Children {
    // Bounded: method and route come from fixed sets, and Node only sends status codes 100-999.
    let byRoute = this.children.get(method);
    if (!byRoute) this.children.set(method, (byRoute = new Map()));
    let byStatus = byRoute.get(route);
    if (!byStatus) byRoute.set(route, (byStatus = new Map()));
    let children = byStatus.get(statusCode);
    if (!children) {
      this.initialiseDeferred();
      const status = String(statusCode);
      children = {
        requests: this.requests.labels(method, route, status, ...this.constValues),
        pending: 0,
        duration: this.duration.labels(method, route, status, ...this.constValues),
        errors: {},
      };
      byStatus.set(statusCode, children);
    }
    return children;
  }
}
