// Sends the mix at a fixed rate for a bounded time and tallies what came back.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { seededUniform } from '../simulation/random.ts';
import { OrderMemory, nextRequest, type PlannedRequest } from './mix.ts';
import type { LoadOptions } from './options.ts';

export interface LoadReport {
  target: string;
  durationMs: number;
  sent: number;
  skipped: number;
  /** Transport failures (refused, reset, timed out): the service never answered. */
  failed: number;
  byStatus: Record<string, number>;
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
  const report: LoadReport = { target: options.target, durationMs: 0, sent: 0, skipped: 0, failed: 0, byStatus: {}, byRoute: {} };
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  const intervalMs = 1000 / options.rate;
  // Long runs (the chart's load-generator Deployment) say how they are doing now and then.
  const ticker =
    progress && setInterval(() => progress.report({ ...report, durationMs: Math.round(performance.now() - started) }), progress.everyMs);

  const send = async (planned: PlannedRequest) => {
    const trace = sampledTraceparent();
    onSent?.({ route: planned.route, traceId: trace.traceId });
    try {
      const response = await fetch(options.target + planned.path, {
        method: planned.method,
        headers:
          planned.body === undefined ? { traceparent: trace.header } : { traceparent: trace.header, 'content-type': 'application/json' },
        body: planned.body === undefined ? undefined : JSON.stringify(planned.body),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      const text = await response.text();
      report.byStatus[response.status] = (report.byStatus[response.status] ?? 0) + 1;
      if (planned.route === '/api/orders' && response.status === 201) orders.remember((JSON.parse(text) as { id: string }).id);
    } catch {
      report.failed += 1;
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
  report.durationMs = Math.round(performance.now() - started);
  return report;
}
