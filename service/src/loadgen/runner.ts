// Sends the mix at a fixed rate for a bounded time and tallies what came back.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { seededUniform } from '../simulation/random.ts';
import { LatencySample, type Percentiles } from './latency.ts';
import { OrderMemory, nextRequest, type PlannedRequest } from './mix.ts';
import type { LoadOptions } from './options.ts';

export interface LoadReport {
  target: string;
  durationMs: number;
  sent: number;
  skipped: number;
  /** Answered with a 2xx. */
  ok: number;
  /** Every request that did not get a 2xx: any other status, or no answer at all. */
  failed: number;
  /** The part of `failed` the service never answered (refused, reset, timed out). */
  unanswered: number;
  byStatus: Record<string, number>;
  /** Time to the whole answer, over every answered request (any status), in ms. */
  latencyMs?: Percentiles;
  byRoute: Record<string, number>;
}

/**
 * A sampled W3C `traceparent` (flags 01) with fresh random ids: the service keeps it as the
 * exemplar of the request's metrics, so exemplars show without a tracing backend.
 */
export function sampledTraceparent(): { header: string; traceId: string } {
  const ids = randomBytes(24).toString('hex');
  const traceId = ids.slice(0, 32);
  return { header: `00-${traceId}-${ids.slice(32)}-01`, traceId };
}

export async function runLoad(
  options: LoadOptions,
  stop: AbortSignal,
  progress?: { everyMs: number; report: (current: LoadReport) => void },
  /** Told each request's route and trace id as it is sent. */
  onSent?: (sent: { route: string; traceId: string }) => void,
): Promise<LoadReport> {
  const uniform = options.seed === undefined ? Math.random : seededUniform(options.seed);
  const orders = new OrderMemory();
  const report: LoadReport = {
    target: options.target,
    durationMs: 0,
    sent: 0,
    skipped: 0,
    ok: 0,
    failed: 0,
    unanswered: 0,
    byStatus: {},
    byRoute: {},
  };
  const latencies = new LatencySample();
  const started = performance.now();
  const snapshot = (): LoadReport => ({
    ...report,
    durationMs: Math.round(performance.now() - started),
    byStatus: { ...report.byStatus },
    byRoute: { ...report.byRoute },
    latencyMs: latencies.percentiles(),
  });
  const inFlight = new Set<Promise<void>>();
  const intervalMs = 1000 / options.rate;
  // Long runs (the chart's load-generator Deployment) say how they are doing now and then.
  const ticker = progress && setInterval(() => progress.report(snapshot()), progress.everyMs);

  const send = async (planned: PlannedRequest) => {
    const trace = sampledTraceparent();
    onSent?.({ route: planned.route, traceId: trace.traceId });
    const sentAt = performance.now();
    let status: number;
    let text: string;
    try {
      const response = await fetch(options.target + planned.path, {
        method: planned.method,
        headers:
          planned.body === undefined ? { traceparent: trace.header } : { traceparent: trace.header, 'content-type': 'application/json' },
        body: planned.body === undefined ? undefined : JSON.stringify(planned.body),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      text = await response.text();
      status = response.status;
    } catch {
      report.failed += 1;
      report.unanswered += 1;
      return;
    }
    latencies.record(performance.now() - sentAt);
    report.byStatus[status] = (report.byStatus[status] ?? 0) + 1;
    if (status >= 200 && status < 300) report.ok += 1;
    else report.failed += 1;
    if (planned.route === '/api/orders' && status === 201) {
      const id = (() => {
        try {
          return (JSON.parse(text) as { id?: unknown }).id;
        } catch {
          return undefined;
        }
      })();
      if (typeof id === 'string') orders.remember(id);
    }
  };

  for (let tick = 0; !stop.aborted; tick += 1) {
    const due = started + tick * intervalMs;
    if (options.durationMs > 0 && tick * intervalMs >= options.durationMs) break;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait, undefined, { signal: stop }).catch(() => undefined);
    if (stop.aborted) break;
    if (inFlight.size >= options.maxInFlight) {
      report.skipped += 1;
      continue;
    }
    const planned = nextRequest(uniform, orders);
    report.sent += 1;
    report.byRoute[planned.route] = (report.byRoute[planned.route] ?? 0) + 1;
    const request = send(planned).finally(() => inFlight.delete(request));
    inFlight.add(request);
  }
  await Promise.all(inFlight);
  if (ticker) clearInterval(ticker);
  return snapshot();
}
