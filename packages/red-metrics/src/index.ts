// The public core of @redline/red-metrics: RED metrics on a prom-client registry, rendered in the
// Prometheus text, OpenMetrics or protobuf format (with native histograms). It knows no web
// framework: the adapters are the ./koa, ./express and ./node entry points. Every other file is internal.
export {
  type ExpositionFormat,
  negotiateFormat,
  prefersOpenMetrics,
  type Rendering,
  serialRenderer,
  streamingRenderer,
} from './endpoint.ts';
export { type ErrorType, OTHER_METHOD, UNMATCHED_ROUTE } from './labels.ts';
export { decodeProtobuf, PROTOBUF_CONTENT_TYPE } from './protobuf.ts';
export { DEFAULT_BUCKETS, type KnownRoute, type NativeHistogramOptions, RedMetrics, type RedMetricsOptions } from './red-metrics.ts';
export { CLIENT_CLOSED_STATUS, markSocketAnswered, statusAtClose } from './status-at-close.ts';
export { sampledTraceparent, type TraceContext } from './trace-context.ts';
