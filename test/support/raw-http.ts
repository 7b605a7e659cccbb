// Raw HTTP for the hardening specs: node:http rather than fetch, so a test can send any
// method, malformed header or partial request, and see exactly what came back.
import { execFileSync } from 'node:child_process';
import { type Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface RawOptions {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  agent?: Agent | false;
  signal?: AbortSignal;
}

export function send(base: string, { method = 'GET', path, headers = {}, body, agent = false, signal }: RawOptions): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers, agent, signal }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end(body);
  });
}

/** Writes `raw` bytes on a fresh socket and collects everything until the server closes it. */
export function sendRaw(base: string, raw: string | Buffer, timeoutMs = 5_000): Promise<string> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(Number(url.port), url.hostname);
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.once('close', () => resolve(text));
    socket.once('error', (error) => (text ? resolve(text) : reject(error)));
    socket.setTimeout(timeoutMs, () => socket.destroy());
    socket.write(raw);
  });
}

export function statusOfRaw(raw: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
}

/** A label value as the exposition format escapes it (\\, \" and \n). */
function unescapeLabel(value: string): string {
  return value.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

/** The label values of the RED series in a /metrics text. */
export function redLabelValues(text: string): { series: number; methods: Set<string>; routes: Set<string>; statuses: Set<string> } {
  const methods = new Set<string>();
  const routes = new Set<string>();
  const statuses = new Set<string>();
  let series = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('http_request')) continue;
    series += 1;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], unescapeLabel(m[2]!)]));
    if (labels.method !== undefined) methods.add(labels.method);
    if (labels.route !== undefined) routes.add(labels.route);
    if (labels.status_code !== undefined) statuses.add(labels.status_code);
  }
  return { series, methods, routes, statuses };
}

/**
 * The connections the service process still holds on `port`, as the kernel sees them (ss -p):
 * sockets with a file descriptor in `pid`, LISTEN aside. A socket the server has closed may
 * linger in the kernel (FIN-WAIT-2, TIME-WAIT) without an owner; it counts against nothing.
 */
export function serverSockets(port: number, pid: number): { total: number; byState: Record<string, number> } {
  const out = execFileSync('ss', ['-Htanp', 'state', 'all', `( sport = :${port} )`], { encoding: 'utf8' });
  const byState: Record<string, number> = {};
  let total = 0;
  for (const line of out.split('\n')) {
    const state = line.trim().split(/\s+/)[0];
    if (!state || state === 'LISTEN' || !line.includes(`pid=${pid},`)) continue;
    byState[state] = (byState[state] ?? 0) + 1;
    total += 1;
  }
  return { total, byState };
}
