// One burst of load from autocannon, run in this (the harness') process.
import autocannon from 'autocannon';

export interface BurstOptions {
  url: string;
  /** Burst length in whole seconds (autocannon's resolution: shorter or `amount` runs end on its 1 s tick). */
  seconds: number;
  connections?: number;
  /** Fixed request rate (open model); unset = as fast as the server answers. */
  rate?: number;
  /** Request headers (e.g. a sampled traceparent). */
  headers?: Record<string, string>;
}

export interface BurstResult {
  /** Responses per second over the burst. */
  rps: number;
  /** Latency percentiles in milliseconds (autocannon records whole milliseconds). */
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
}

export async function burst({ url, seconds, connections = 16, rate, headers }: BurstOptions): Promise<BurstResult> {
  const result = await autocannon({
    url,
    ...(headers ? { headers } : {}),
    connections,
    pipelining: 1,
    duration: seconds,
    ...(rate ? { overallRate: rate } : {}),
  });
  return {
    rps: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}
