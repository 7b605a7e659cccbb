// The API's latency while a client floods /metrics. autocannon runs in child processes, so the
// flood and the measuring client do not share an event loop with each other or the service.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../scripts/lib/ports.ts';
import { startService } from '../../scripts/lib/service-process.ts';

const AUTOCANNON = fileURLToPath(new URL('../../node_modules/autocannon/autocannon.js', import.meta.url));

interface Cannon {
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
}

function autocannon(args: string[]): Promise<Cannon> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [AUTOCANNON, '--json', ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.once('error', reject);
    child.once('exit', () => {
      try {
        const r = JSON.parse(out) as { latency: { p50: number; p99: number }; requests: { total: number }; non2xx: number; errors: number };
        resolve({ p50: r.latency.p50, p99: r.latency.p99, requests: r.requests.total, non2xx: r.non2xx, errors: r.errors });
      } catch (error) {
        reject(error);
      }
    });
  });
}

/** The API at a steady 200 req/s over 4 connections, for `seconds`. */
const measureApi = (url: string, seconds: number) => autocannon(['-c', '4', '-R', '200', '-d', String(seconds), `${url}/api/items/1`]);
/** As many /metrics requests as 16 connections can send. */
const flood = (url: string, seconds: number) => autocannon(['-c', '16', '-d', String(seconds), `${url}/metrics`]);

export interface FloodResult {
  layout: string;
  quiet: Cannon[];
  flooded: Cannon[];
  floods: Cannon[];
}

/** Alternates quiet and flooded bursts (`pairs` of each), so drift on a shared machine hits both. */
export async function measureFlood(separatePort: boolean, pairs = 3, seconds = 4): Promise<FloodResult> {
  const metricsPort = separatePort ? await freePort() : undefined;
  const service = await startService({
    env: { SIM_ERROR_RATE: '0', SIM_LATENCY_FACTOR: '0', ...(metricsPort ? { METRICS_PORT: String(metricsPort) } : {}) },
  });
  const metricsUrl = metricsPort ? `http://127.0.0.1:${metricsPort}` : service.url;
  const result: FloodResult = { layout: separatePort ? 'METRICS_PORT' : 'same port', quiet: [], flooded: [], floods: [] };
  try {
    await measureApi(service.url, 1); // warm-up
    for (let i = 0; i < pairs; i += 1) {
      result.quiet.push(await measureApi(service.url, seconds));
      const flooding = flood(metricsUrl, seconds + 1);
      result.flooded.push(await measureApi(service.url, seconds));
      result.floods.push(await flooding);
    }
  } finally {
    await service.stop();
  }
  return result;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export function floodSummary(r: FloodResult): { quietP99: number; floodedP99: number; floodRps: number; line: string } {
  const quietP99 = median(r.quiet.map((c) => c.p99));
  const floodedP99 = median(r.flooded.map((c) => c.p99));
  const floodRps = Math.round(median(r.floods.map((c) => c.requests)) / 5);
  const line = `${r.layout}: API p99 quiet ${quietP99} ms, under /metrics flood ${floodedP99} ms (median of ${r.quiet.length} bursts each; flood ~${floodRps} req/s on /metrics)`;
  return { quietP99, floodedP99, floodRps, line };
}

// node test/memory/metrics-flood.ts: prints the API p99 with and without a /metrics flood.
if (import.meta.url === `file://${process.argv[1]}`) {
  for (const separate of process.env.REDLINE_SERVICE_ENTRY ? [false] : [false, true])
    console.log(floodSummary(await measureFlood(separate)).line);
}
