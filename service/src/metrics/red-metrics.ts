// The RED metric family: one object owning the prom-client instruments and a cache of their
// labelled children, so the per-request path does no label-object work after warm-up.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { errorType, type ErrorType } from './labels.ts';

/** OpenTelemetry's advised boundaries for HTTP server durations, in seconds. */
export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

export interface KnownRoute {
  method: string;
  route: string;
  /** The status the route usually answers; its series are created at zero. */
  statusCode?: number;
}

interface Children {
  requests: Counter.Internal;
  duration: Histogram.Internal<string>;
  errors: Partial<Record<ErrorType, Counter.Internal>>;
}

export class RedMetrics {
  readonly requests: Counter<string>;
  readonly errors: Counter<string>;
  readonly duration: Histogram<string>;
  readonly inFlight: Gauge<string>;
  private readonly children = new Map<string, Children>();

  constructor(registry: Registry, buckets: number[] = DEFAULT_BUCKETS) {
    const registers = [registry];
    this.requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests served, by method, route template and status code.',
      labelNames: ['method', 'route', 'status_code'],
      registers,
    });
    this.errors = new Counter({
      name: 'http_request_errors_total',
      help: 'HTTP requests that failed on the server side (5xx), by error type.',
      labelNames: ['method', 'route', 'status_code', 'error_type'],
      registers,
    });
    this.duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from receiving a request to the end of its response, in seconds.',
      labelNames: ['method', 'route', 'status_code'],
      buckets,
      registers,
    });
    this.inFlight = new Gauge({
      name: 'http_requests_in_flight',
      help: 'HTTP requests being served right now.',
      registers,
    });
  }

  /** Records one finished (or abandoned) request. */
  observe(method: string, route: string, statusCode: number, seconds: number, threw: boolean): void {
    const children = this.childrenFor(method, route, statusCode);
    children.requests.inc();
    children.duration.observe(seconds);
    const type = errorType(statusCode, threw);
    if (type) {
      const counter = (children.errors[type] ??= this.errors.labels(method, route, String(statusCode), type));
      counter.inc();
    }
  }

  /** Creates the series of known routes at zero, so rate() has data before the first request. */
  initialise(routes: KnownRoute[]): void {
    for (const { method, route, statusCode = 200 } of routes) {
      const status = String(statusCode);
      this.requests.labels(method, route, status).inc(0);
      this.duration.zero({ method, route, status_code: status });
      this.errors.labels(method, route, '500', 'exception').inc(0);
    }
  }

  private childrenFor(method: string, route: string, statusCode: number): Children {
    // Bounded: method and route come from fixed sets, and Node only sends status codes 100-999.
    const key = `${method} ${route} ${statusCode}`;
    let children = this.children.get(key);
    if (!children) {
      const status = String(statusCode);
      children = {
        requests: this.requests.labels(method, route, status),
        duration: this.duration.labels(method, route, status),
        errors: {},
      };
      this.children.set(key, children);
    }
    return children;
  }
}
