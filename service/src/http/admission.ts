// Bounds what one client can make the process hold: requests in flight per connection and in
// total, open connections, and output a client will not read. Node parses every pipelined
// request on a connection at once and keeps each response until the client reads it; without
// these bounds one connection that never reads grows the heap until the OOM killer comes.
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Counter, type Registry } from 'prom-client';

export interface AdmissionLimits {
  maxRequestsInFlight: number;
  maxPipelinedRequests: number;
  maxConnections: number;
  sendTimeoutMs: number;
}

/** Seconds a shed client is asked to wait before retrying. */
export const RETRY_AFTER_SECONDS = 1;
/** How often stalled output is looked for. */
const SWEEP_MS = 1_000;

/**
 * Answers that must keep working while the API sheds load: the probes (a failed one restarts or
 * unlists the pod) and the scrape (a lost one blanks the RED series during the very overload
 * they should show; scrapeCache rations it instead).
 */
const EXEMPT = new Set(['/healthz', '/readyz', '/metrics']);
const pathOf = (url = '') => url.split('?', 1)[0]!;

interface ConnectionState {
  inFlight: number;
  refused: boolean;
  /** bytesWritten when pending output was first seen not moving, and when. */
  stalledAt?: { bytes: number; since: number };
}

export interface Admission {
  /** Requests admitted and not yet closed (answered, shed or abandoned). */
  readonly inFlight: number;
  /** Resolves once no request is in flight: the drain waits on this. */
  whenIdle(): Promise<void>;
  /** The request listener to give the server: admits, sheds or refuses, then calls `next`. */
  listener: RequestListener;
  stop(): void;
}

/**
 * Node has parsed the whole read (a 64 KiB read holds over a thousand pipelined requests) and
 * aborts each unanswered request when the socket closes, with an error whose stack it formats:
 * about 30 us apiece, seconds of a busy loop under a flood. Those errors go nowhere, so build
 * them without a stack: the limit is lowered just around Node's own close handler.
 */
function withoutStacksWhileClosing(socket: Socket): void {
  let saved: number | undefined;
  socket.prependOnceListener('close', () => {
    saved = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
  });
  socket.once('close', () => {
    if (saved !== undefined) Error.stackTraceLimit = saved;
  });
}

export function admission(server: Server, limits: AdmissionLimits, next: RequestListener, registry?: Registry): Admission {
  const shed = new Counter({
    name: 'redline_requests_shed_total',
    help: 'Requests answered 503 without being served because too many were in flight.',
    registers: registry ? [registry] : [],
  });
  const closed = new Counter({
    name: 'redline_connections_closed_total',
    help: 'Connections the server closed to bound memory, by reason.',
    labelNames: ['reason'] as const,
    registers: registry ? [registry] : [],
  });
  closed.labels('pipeline_limit').inc(0);
  closed.labels('send_timeout').inc(0);

  server.maxConnections = limits.maxConnections;
  const connections = new Map<Socket, ConnectionState>();
  server.on('connection', (socket: Socket) => {
    connections.set(socket, { inFlight: 0, refused: false });
    socket.once('close', () => connections.delete(socket));
  });

  let inFlight = 0;
  let idle: (() => void) | undefined;
  const listener: RequestListener = (req: IncomingMessage, res: ServerResponse) => {
    const state = connections.get(req.socket);
    // Requests parsed from the same read as the one that broke the limit: their connection is
    // already gone, do no work for them.
    if (!state || state.refused) return;
    state.inFlight += 1;
    inFlight += 1;
    res.once('close', () => {
      state.inFlight -= 1;
      inFlight -= 1;
      if (inFlight === 0) idle?.();
    });
    if (state.inFlight > limits.maxPipelinedRequests) {
      // More pipelined requests than answers read: answering them would only queue more output
      // for a client that is not reading. Close the connection; its requests are abandoned.
      state.refused = true;
      closed.labels('pipeline_limit').inc();
      withoutStacksWhileClosing(req.socket);
      req.socket.destroy();
      return;
    }
    if (inFlight > limits.maxRequestsInFlight && !EXEMPT.has(pathOf(req.url))) {
      shed.inc();
      const body = JSON.stringify({ error: { status: 503, message: 'too many requests in flight; retry later' } });
      res.writeHead(503, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': Buffer.byteLength(body),
        'Retry-After': String(RETRY_AFTER_SECONDS),
      });
      res.end(body);
      return;
    }
    next(req, res);
  };

  // Output the client does not read waits in the socket's buffer. Progress of any size resets
  // the clock, so a slow reader is fine; a reader that has stopped is cut off.
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [socket, state] of connections) {
      if (socket.writableLength === 0) {
        state.stalledAt = undefined;
      } else if (!state.stalledAt || state.stalledAt.bytes !== socket.bytesWritten) {
        state.stalledAt = { bytes: socket.bytesWritten, since: now };
      } else if (now - state.stalledAt.since >= limits.sendTimeoutMs) {
        closed.labels('send_timeout').inc();
        socket.destroy();
      }
    }
  }, SWEEP_MS);
  sweep.unref();

  return {
    get inFlight() {
      return inFlight;
    },
    whenIdle: () =>
      new Promise<void>((resolve) => {
        idle = resolve;
        if (inFlight === 0) resolve();
      }),
    listener,
    stop: () => clearInterval(sweep),
  };
}
