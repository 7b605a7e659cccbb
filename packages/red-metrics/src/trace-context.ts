// The trace an exemplar links to: the W3C `traceparent` header of a sampled request (flags
// bit 0), or else the active OpenTelemetry span when @opentelemetry/api is installed (an
// optional peer: loaded if present, never required). Without either, nothing is allocated.

import { createRequire } from 'node:module';

export interface TraceContext {
  traceId: string;
  spanId: string;
}

const ZERO_TRACE = '00000000000000000000000000000000';
const ZERO_SPAN = '0000000000000000';
/** Whether text[from, to) is lower-case hex, as W3C Trace Context requires. */
function isLowerHex(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i += 1) {
    const code = text.charCodeAt(i);
    if (!((code >= 48 && code <= 57) || (code >= 97 && code <= 102))) return false;
  }
  return true;
}

/**
 * The trace context of a `traceparent` header when it is well formed and sampled
 * (`00-<trace-id>-<parent-id>-<flags>`, flags & 1). Later versions may append fields: their
 * first four are read the same way (W3C Trace Context, "versioning"). Checked by hand, not by
 * a regular expression: it runs on every traced request.
 */
export function sampledTraceparent(header: string | undefined): TraceContext | undefined {
  if (header === undefined || header.length < 55 || header.length > 512) return undefined;
  if (header.charCodeAt(2) !== 45 || header.charCodeAt(35) !== 45 || header.charCodeAt(52) !== 45) return undefined; // '-'
  if (header.length > 55 && header.charCodeAt(55) !== 45) return undefined;
  if (!isLowerHex(header, 53, 55) || (Number.parseInt(header[54]!, 16) & 1) !== 1) return undefined; // not sampled
  if (!isLowerHex(header, 0, 2) || !isLowerHex(header, 3, 35) || !isLowerHex(header, 36, 52)) return undefined;
  const version = header.slice(0, 2);
  if (version === 'ff' || (version === '00' && header.length !== 55)) return undefined;
  const traceId = header.slice(3, 35);
  const spanId = header.slice(36, 52);
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId };
}

interface SpanContextLike {
  traceId: string;
  spanId: string;
  traceFlags: number;
}

interface OpenTelemetryApi {
  trace: {
    getActiveSpan(): { spanContext(): SpanContextLike } | undefined;
    getTracerProvider(): { getDelegate?(): unknown };
  };
  ProxyTracerProvider: new () => { getDelegate(): unknown };
}

/**
 * @opentelemetry/api when the app has it (a variable specifier: no hard dependency, no types
 * needed), loaded synchronously: a top-level await would keep CommonJS apps from require()-ing
 * the package. Its CommonJS and ESM builds share their state through a global, so the app's
 * SDK is seen whichever build it imported.
 */
const OPENTELEMETRY_API = '@opentelemetry/api';
const openTelemetry = ((): OpenTelemetryApi | undefined => {
  try {
    return createRequire(import.meta.url)(OPENTELEMETRY_API) as OpenTelemetryApi;
  } catch {
    return undefined;
  }
})();

/**
 * Whether an OpenTelemetry SDK has registered a tracer provider: without one no span is ever
 * active, and the per-request lookup is skipped. (prom-client 15 depends on @opentelemetry/api,
 * so the API alone says nothing.)
 */
export function openTelemetryTracing(): boolean {
  if (!openTelemetry) return false;
  const provider = openTelemetry.trace.getTracerProvider();
  if (typeof provider.getDelegate !== 'function') return true; // a provider set without the proxy
  return provider.getDelegate() !== new openTelemetry.ProxyTracerProvider().getDelegate(); // not the no-op one
}

/** The active OpenTelemetry span's context if it is sampled and valid. */
export function activeSpanTrace(): TraceContext | undefined {
  const context = openTelemetry?.trace.getActiveSpan()?.spanContext();
  if (!context || (context.traceFlags & 1) !== 1) return undefined;
  if (context.traceId === ZERO_TRACE || context.spanId === ZERO_SPAN) return undefined;
  return { traceId: context.traceId, spanId: context.spanId };
}

/** An observation's link to its trace, as Prometheus stores it. */
export interface Exemplar {
  traceId: string;
  spanId: string;
  value: number;
  /** Epoch milliseconds. */
  at: number;
}
