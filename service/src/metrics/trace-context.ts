// The trace an exemplar links to: the W3C `traceparent` header of a sampled request (flags
// bit 0), or else the active OpenTelemetry span when @opentelemetry/api is installed (an
// optional peer: loaded if present, never required). Without either, nothing is allocated.

export interface TraceContext {
  traceId: string;
  spanId: string;
}

const ZERO_TRACE = '00000000000000000000000000000000';
const ZERO_SPAN = '0000000000000000';
/** version-traceid-parentid-flags, lower-case hex; a later version may append `-…` fields. */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-|$)/;

/**
 * The trace context of a `traceparent` header when it is well formed and sampled
 * (`00-<trace-id>-<parent-id>-<flags>`, flags & 1). Later versions may append fields: their
 * first four are read the same way (W3C Trace Context, "versioning").
 */
export function sampledTraceparent(header: string | undefined): TraceContext | undefined {
  if (header === undefined || header.length < 55 || header.length > 512) return undefined;
  const match = TRACEPARENT.exec(header);
  if (!match) return undefined;
  const [, version, traceId, spanId, flags, more] = match as unknown as [string, string, string, string, string, string];
  if (version === 'ff' || (version === '00' && more !== '')) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return (Number.parseInt(flags, 16) & 1) === 1 ? { traceId, spanId } : undefined;
}

interface SpanContextLike {
  traceId: string;
  spanId: string;
  traceFlags: number;
}

interface OpenTelemetryApi {
  trace: { getActiveSpan(): { spanContext(): SpanContextLike } | undefined };
}

/** @opentelemetry/api when the app has it (a variable specifier: no hard dependency, no types needed). */
const OPENTELEMETRY_API = '@opentelemetry/api';
const openTelemetry = (await import(OPENTELEMETRY_API).catch(() => undefined)) as OpenTelemetryApi | undefined;

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
