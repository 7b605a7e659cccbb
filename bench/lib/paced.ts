// A fixed-rate (open-model) HTTP client with sub-millisecond latency: autocannon records
// whole milliseconds, too coarse for a loopback p99. Each request's latency runs from the
// moment it was due, so a server that stalls is charged for the requests it kept waiting.
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export interface PacedOptions {
  url: string;
  rate: number;
  seconds: number;
  connections?: number;
}

export interface PacedResult {
  latenciesMs: number[];
  failures: number;
}

function once(agent: Agent, url: URL): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { agent, method: 'GET' }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode === 200));
      res.once('error', () => resolve(false));
    });
    req.once('error', () => resolve(false));
    req.end();
  });
}

export async function paced({ url, rate, seconds, connections = 8 }: PacedOptions): Promise<PacedResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const target = new URL(url);
  const total = Math.round(rate * seconds);
  const latenciesMs: number[] = [];
  let failures = 0;
  const pending: Promise<void>[] = [];
  const started = performance.now();
  for (let sent = 0; sent < total; ) {
    const due = Math.min(total, Math.floor(((performance.now() - started) * rate) / 1000) + 1);
    for (; sent < due; sent += 1) {
      const intended = started + (sent * 1000) / rate;
      pending.push(
        once(agent, target).then((ok) => {
          if (ok) latenciesMs.push(performance.now() - intended);
          else failures += 1;
        }),
      );
    }
    await sleep(1);
  }
  await Promise.all(pending);
  agent.destroy();
  return { latenciesMs, failures };
}
