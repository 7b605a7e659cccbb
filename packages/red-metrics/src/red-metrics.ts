// The RED metric family: one object owning the instruments and a cache of their labelled
// series, so the per-request path does no label work after warm-up.
// Measured (docs/benchmarks.md): prom-client's labelled children hash their labels on every
// call, so the storage of the request and error counters (CounterFamily: a number per series)
// and of the duration histogram (DurationHistogram: typed arrays, classic and native buckets)
// is owned here, with each series' start time, and rendered through one interface
// (exposition.ts). prom-client remains the registry and keeps the in-flight gauge.
import { Gauge, type Registry } from 'prom-client';
import { CounterFamily, type CounterSeries } from './counter-family.ts';
import { DurationHistogram, type HistogramSeries } from './duration-histogram.ts';
import type { ExponentialOptions } from './exponential-buckets.ts';
import type { TraceContext } from './trace-context.ts';
import { checkNaming, errorType, type ErrorType } from './labels.ts';

/** OpenTelemetry's advised boundaries for HTTP server durations, in seconds. */
export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

export type NativeHistogramOptions = ExponentialOptions;

export interface RedMetricsOptions {
  /** Prepended to every metric name (`myapp_` gives `myapp_http_requests_total`). */
  prefix?: string;
  /** Labels with one fixed value on every series (after the RED labels). */
  constLabels?: Record<string, string>;
  /** Classic histogram bucket upper bounds, in seconds (default: OpenTelemetry's). */
  buckets?: number[];
  /**
   * Also keep a native (exponential) histogram of the durations, exposed in the protobuf
   * format: `true` for the defaults (bucket factor 1.1, zero threshold 2^-128 as
   * client_golang; bucket limit 160, where client_golang has none), or the options. Off by
   * default; the classic buckets are kept either way.
   */
  nativeHistograms?: boolean | NativeHistogramOptions;
}

const RED_LABELS = ['method', 'route', 'status_code', 'error_type', 'le'] as const;

export interface KnownRoute {
  method: string;
  route: string;
  /** The status the route usually answers; its series are created at zero. */
  statusCode?: number;
}

interface Children {
  requests: CounterSeries;
  duration: HistogramSeries;
  errors: Partial<Record<ErrorType, CounterSeries>>;
}

export class RedMetrics {
  readonly requests: CounterFamily;
  readonly errors: CounterFamily;
  readonly duration: DurationHistogram;
  readonly inFlight: Gauge<string>;
  /** Requests being served; handed to the gauge when it is collected, like the counts. */
  private active = 0;
  /** method → route → status → children: nested lookups, so no key string per request. */
  private readonly children = new Map<string, Map<string, Map<number, Children>>>();
  private readonly deferredRoutes: (() => KnownRoute[])[] = [];
  private readonly constValues: string[];

  constructor(registry: Registry, options: RedMetricsOptions = {}) {
    const { prefix = '', constLabels = {}, buckets = DEFAULT_BUCKETS, nativeHistograms = false } = options;
    checkNaming(prefix, constLabels, RED_LABELS);
    const constNames = Object.keys(constLabels);
    this.constValues = Object.values(constLabels);
    const registers = [registry];
    const beforeRead = () => this.initialiseDeferred();
    this.requests = new CounterFamily({
      name: `${prefix}http_requests_total`,
      help: 'HTTP requests served, by method, route template and status code.',
      labelNames: ['method', 'route', 'status_code', ...constNames],
      registers,
      beforeRead,
    });
    this.errors = new CounterFamily({
      name: `${prefix}http_request_errors_total`,
      help: 'HTTP requests that failed on the server side (5xx), by error type.',
      labelNames: ['method', 'route', 'status_code', 'error_type', ...constNames],
      registers,
    });
    this.duration = new DurationHistogram({
      name: `${prefix}http_request_duration_seconds`,
      help: 'Time from receiving a request to the end of its response, in seconds.',
      labelNames: ['method', 'route', 'status_code', ...constNames],
      buckets,
      native: nativeHistograms === true ? {} : nativeHistograms,
      registers,
      beforeRead,
    });
    const constValues = this.constValues;
    const metrics = this;
    this.inFlight = new Gauge({
      name: `${prefix}http_requests_in_flight`,
      help: 'HTTP requests being served right now.',
      labelNames: constNames,
      registers,
      collect() {
        this.labels(...constValues).set(metrics.active);
      },
    });
    this.inFlight.labels(...constValues).set(0);
  }

  /** A request started being served. */
  requestStarted(): void {
    this.active += 1;
  }

  /** A request is no longer being served (its response closed and its handlers returned). */
  requestEnded(): void {
    this.active -= 1;
  }

  /**
   * Records one finished (or abandoned) request; `trace`, the request's sampled trace, becomes
   * the exemplar of its request count and of its duration bucket.
   */
  observe(method: string, route: string, statusCode: number, seconds: number, threw: boolean, trace?: TraceContext): void {
    const children = this.childrenFor(method, route, statusCode);
    if (trace) {
      const at = this.duration.clock(); // one clock read for both exemplars
      this.requests.increment(children.requests, trace, at);
      children.duration.observe(seconds, trace, at);
    } else {
      children.requests.value += 1;
      children.duration.observe(seconds);
    }
    const type = errorType(statusCode, threw);
    if (type) {
      const counter = (children.errors[type] ??= this.errors.series([method, route, String(statusCode), type, ...this.constValues]));
      counter.value += 1;
    }
  }

  /** Creates the series of known routes at zero, so rate() has data before the first request. */
  initialise(routes: KnownRoute[]): void {
    for (const { method, route, statusCode = 200 } of routes) {
      this.childrenFor(method, route, statusCode);
      this.errors.series([method, route, '500', 'exception', ...this.constValues]);
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

  private childrenFor(method: string, route: string, statusCode: number): Children {
    // Bounded: method and route come from fixed sets, and Node only sends status codes 100-999.
    let byRoute = this.children.get(method);
    if (!byRoute) this.children.set(method, (byRoute = new Map()));
    let byStatus = byRoute.get(route);
    if (!byStatus) byRoute.set(route, (byStatus = new Map()));
    let children = byStatus.get(statusCode);
    if (!children) {
      if (this.deferredRoutes.length > 0) {
        this.initialiseDeferred();
        return this.childrenFor(method, route, statusCode);
      }
      const status = String(statusCode);
      children = {
        requests: this.requests.series([method, route, status, ...this.constValues]),
        duration: this.duration.series([method, route, status, ...this.constValues]),
        errors: {},
      };
      byStatus.set(statusCode, children);
    }
    return children;
  }
}
