// The slow-body flood and the good client it must not lock out (test/hardening/lockout.test.ts,
// test/memory/slow-bodies.spec.ts). The attacker runs on its own thread (a worker), so its
// event loop is not the good client's: `connections` clients each declare a 1,000-byte JSON
// body and send it one byte a second; a client whose connection is closed reconnects a second
// later, as a patient attacker would. Post 'stop' to end it; it answers with what it saw.
import { Agent } from 'node:http';
import { connect, type Socket } from 'node:net';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { send } from './raw-http.ts';

export interface Tally {
  statuses: Record<string, number>;
  ms: number[];
}

/** `workers` keep-alive clients alternating a GET and a small POST until `stop.now`. */
export async function goodClient(url: string, workers: number, stop: { now: boolean }): Promise<Tally> {
  const agent = new Agent({ keepAlive: true, maxSockets: workers });
  const tally: Tally = { statuses: {}, ms: [] };
  const order = JSON.stringify({ items: [{ itemId: 1, quantity: 1 }] });
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      for (let i = worker; !stop.now; i += 1) {
        const started = performance.now();
        const request =
          i % 2 === 0
            ? send(url, { path: '/api/items?limit=1', agent })
            : send(url, { method: 'POST', path: '/api/orders', headers: { 'content-type': 'application/json' }, body: order, agent });
        const outcome = await request.then(
          (a) => String(a.status),
          (error: Error) => error.message,
        );
        tally.ms.push(performance.now() - started);
        tally.statuses[outcome] = (tally.statuses[outcome] ?? 0) + 1;
      }
    }),
  );
  agent.destroy();
  return tally;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** 2xx answers over all answers and errors. */
export const successRate = (tally: Tally) =>
  Object.entries(tally.statuses).reduce((ok, [status, n]) => ok + (/^2\d\d$/.test(status) ? n : 0), 0) / Math.max(1, tally.ms.length);

export interface SlowBodiesReport {
  open: number;
  opened: number;
  /** Status of the answer each closed connection got ('none': closed without one). */
  answers: Record<string, number>;
}

/** Starts the attacker thread; `stop()` ends it and resolves with its report. */
export function startSlowBodies(port: number, host: string, connections: number) {
  const worker = new Worker(new URL(import.meta.url), { workerData: { port, host, connections } });
  const report = new Promise<SlowBodiesReport>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    stop: async () => {
      worker.postMessage('stop');
      const result = await report;
      await worker.terminate();
      return result;
    },
  };
}

function attack({ port, host, connections }: { port: number; host: string; connections: number }): void {
  const live = new Set<Socket>();
  const answers: Record<string, number> = {};
  let opened = 0;
  let stopped = false;
  const openOne = () => {
    if (stopped) return;
    opened += 1;
    const socket = connect(port, host);
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', () => undefined);
    socket.once('close', () => {
      live.delete(socket);
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 'none';
      answers[status] = (answers[status] ?? 0) + 1;
      setTimeout(openOne, 1_000);
    });
    live.add(socket);
    socket.write('POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
  };
  for (let i = 0; i < connections; i += 1) openOne();
  const trickle = setInterval(() => {
    for (const socket of live) if (!socket.destroyed) socket.write(' ');
  }, 1_000);
  parentPort?.once('message', () => {
    stopped = true;
    clearInterval(trickle);
    const report: SlowBodiesReport = { open: live.size, opened, answers };
    for (const socket of live) socket.destroy();
    parentPort?.postMessage(report);
  });
}

if (parentPort && workerData?.connections) attack(workerData);
