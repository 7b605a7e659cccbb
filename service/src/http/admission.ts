// Bounds what one client can make the process hold: requests in flight per connection and in
// total, bodies still arriving, open connections, bytes on the wire per request, and output a
// client will not read. Node parses every pipelined request on a connection at once and keeps
// each response until the client reads it; without these bounds one connection that never
// reads grows the heap until the OOM killer comes, and a few hundred slow ones fill every slot.
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Counter, Gauge, type Registry } from 'prom-client';
import { lingeringClose } from './close-after.ts';

export interface AdmissionLimits {
  maxRequestsInFlight: number;
  maxPipelinedRequests: number;
  maxConnections: number;
  sendTimeoutMs: number;
  /** Requests whose body is still arriving; past it the one waiting longest is answered 408. */
  maxBodiesWaiting: number;
  /** Time from a request's headers to the end of its body; past it 408. */
  bodyTimeoutMs: number;
  /** Bytes on the wire for one request's body: framing and chunk extensions included. */
  maxRequestWireBytes: number;
}

/** Seconds a shed client is asked to wait before retrying. */
export const RETRY_AFTER_SECONDS = 1;
/** How often stalled output is looked for. */
const SWEEP_MS = 1_000;
/**
 * Bytes read and thrown away after an answer sent before its body was read, so the client
 * reads the answer before the connection closes (a close with unread input sends a reset,
 * which can destroy the answer in flight). Past it the server stops reading; the socket is
 * closed when the client closes its side, or ANSWER_LINGER_MS after the answer.
 */
export const DRAIN_LIMIT_BYTES = 256 * 1024;

/**
 * The drain waits for a request begun on an idle connection (its first bytes read, its headers
 * not yet complete) while its bytes keep coming; one silent this long is given up on.
 */
export const DRAIN_STALL_MS = 1_000;
const DRAIN_POLL_MS = 100;

/**
 * Answers that must keep working while the API sheds load: the probes (a failed one restarts or
 * unlists the pod) and the scrape (a lost one blanks the RED series during the very overload
 * they should show; scrapeCache rations it instead).
 */
const EXEMPT = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * The path of a request target as Koa routes it: origin-form (`/a?b`) or absolute-form
 * (`http://host/a?b`, which Node passes through and Koa routes by its path).
 */
export function pathOf(url = ''): string {
  if (url.startsWith('/')) return url.split('?', 1)[0]!;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url;
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

/** Whether the request announces a body (Node refuses a request with both headers). */
function announcesBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

interface ConnectionState {
  inFlight: number;
  refused: boolean;
  /** bytesRead when the connection last had nothing in flight: more since means a request has begun. */
  bytesWhenIdle: number;
  /** During the drain: bytesRead last seen on a begun request, and when it last grew. */
  progress?: { bytes: number; at: number };
  /** bytesWritten when pending output was first seen not moving, and when. */
  stalledAt?: { bytes: number; since: number };
}

type Phase = 'body' | 'api' | 'closed';

interface Tracked {
  phase: Phase;
  res: ServerResponse;
}

export interface Admission {
  /** Requests admitted and not yet closed (answered, shed or abandoned), bodies waiting included. */
  readonly inFlight: number;
  /** Requests whose body is still arriving. */
  readonly bodiesWaiting: number;
  /**
   * Resolves once nothing is in flight and no connection holds the first bytes of a request
   * not yet parsed: the drain waits on this.
   */
  whenIdle(): Promise<void>;
  /**
   * For the drain: sends a FIN on every connection that is idle now (no request in flight, no
   * byte of a new one read) and closes it once the client has closed its side or the linger
   * has passed. Connections with a request begun are left to finish it.
   */
  closeIdle(): void;
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

/** A JSON error answered on `res` by the gate itself (the app never sees the request). */
export function answerJson(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { status, message } });
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
  });
  res.end(body);
}

/**
 * An answer written before the request's body has arrived (413, 415, 401, 404, a shed 503, a
 * body timeout's 408): the body will not be read, so say `Connection: close`; then read and
 * discard at most DRAIN_LIMIT_BYTES for at most ANSWER_LINGER_MS, so the client sees the
 * answer, and close. Without this, Node keeps the connection and reads the declared body at
 * full speed, however large (52 GiB in 45 s from one client).
 */
function closeAfterEarlyAnswer(req: IncomingMessage, res: ServerResponse): void {
  const socket = req.socket;
  const original = res.writeHead;
  res.writeHead = function writeHeadThenDrain(this: ServerResponse, ...args: Parameters<ServerResponse['writeHead']>) {
    if (!req.complete && !socket.destroyed) {
      res.setHeader('Connection', 'close');
      // Node calls destroySoon() once a `Connection: close` answer is finished, which destroys
      // the socket as soon as the answer is flushed: with the body still arriving, a reset.
      // Half-close instead, and drain within bounds.
      (socket as Socket & { destroySoon(): void }).destroySoon = () => lingeringClose(socket);
      const start = socket.bytesRead;
      // Consume the body here so Node does not dump it unbounded; count it on the wire.
      req.removeAllListeners('data');
      const drain = () => {
        if (socket.bytesRead - start <= DRAIN_LIMIT_BYTES) return;
        // Enough: stop reading (Node stops at the stream's high-water mark), so a client still
        // sending stalls and reads the answer and the FIN; the linger then closes the socket.
        req.off('data', drain);
        req.pause();
      };
      req.on('data', drain);
      req.resume();
    }
    return original.apply(this, args) as ServerResponse;
  } as ServerResponse['writeHead'];
}

/** The gate's counters and gauges on `registry` (none registered without one, as in unit tests). */
function admissionMetrics(registry: Registry | undefined, bodiesWaiting: () => number, connectionsOpen: () => number) {
  const registers = registry ? [registry] : [];
  const shed = new Counter({
    name: 'redline_requests_shed_total',
    help: 'Requests answered 503 without being served because too many were in flight.',
    registers,
  });
  const closed = new Counter({
    name: 'redline_connections_closed_total',
    help: 'Connections the server closed to bound memory or time, by reason.',
    labelNames: ['reason'] as const,
    registers,
  });
  for (const reason of ['pipeline_limit', 'send_timeout', 'body_timeout', 'body_evicted', 'wire_limit']) closed.labels(reason).inc(0);
  new Gauge({
    name: 'redline_request_bodies_waiting',
    help: 'Requests whose body is still arriving (they hold no API slot).',
    registers,
    collect() {
      this.set(bodiesWaiting());
    },
  });
  new Gauge({
    name: 'redline_connections_open',
    help: 'Open connections on the API port.',
    registers,
    collect() {
      this.set(connectionsOpen());
    },
  });
  return { shed, closed };
}

type ClosedCounter = ReturnType<typeof admissionMetrics>['closed'];

/**
 * Node counts decoded body bytes only; chunk framing and extensions (up to 16 KiB per chunk)
 * cost parsing without limit. Every chunk pushes at least one body byte, so check the wire
 * bytes on each push, without disturbing whoever reads the body (the app, or the drain).
 */
function boundWireBytes(req: IncomingMessage, res: ServerResponse, maxBytes: number, closed: ClosedCounter): void {
  const socket = req.socket;
  const start = socket.bytesRead;
  const push = req.push;
  let over = false;
  req.push = function pushWithinWireLimit(this: IncomingMessage, ...args: Parameters<IncomingMessage['push']>) {
    if (!over && args[0] !== null && socket.bytesRead - start > maxBytes) {
      over = true;
      closed.labels('wire_limit').inc();
      // 413 if nothing was answered yet; the early-answer drain then closes the connection.
      answerJson(res, 413, 'request too large on the wire (framing and chunk extensions count)');
    }
    return push.apply(this, args);
  };
}

/**
 * Output the client does not read waits in the socket's buffer. Progress of any size resets
 * the clock, so a slow reader is fine; a reader that has stopped is cut off.
 */
function sweepStalledOutput(connections: Map<Socket, ConnectionState>, sendTimeoutMs: number, closed: ClosedCounter): NodeJS.Timeout {
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [socket, state] of connections) {
      if (socket.writableLength === 0) {
        state.stalledAt = undefined;
      } else if (!state.stalledAt || state.stalledAt.bytes !== socket.bytesWritten) {
        state.stalledAt = { bytes: socket.bytesWritten, since: now };
      } else if (now - state.stalledAt.since >= sendTimeoutMs) {
        closed.labels('send_timeout').inc();
        socket.destroy();
      }
    }
  }, SWEEP_MS);
  sweep.unref();
  return sweep;
}

const startedRequest = (socket: Socket, state: ConnectionState) => state.inFlight === 0 && socket.bytesRead > state.bytesWhenIdle;

/** The gate's state and its steps: admit, shed or refuse a request; track bodies; drain. */
class Gate implements Admission {
  readonly #limits: AdmissionLimits;
  readonly #next: RequestListener;
  readonly #connections = new Map<Socket, ConnectionState>();
  /** Requests whose body is still arriving, oldest first (Map keeps insertion order). */
  readonly #waiting = new Map<IncomingMessage, Tracked>();
  readonly #metrics: ReturnType<typeof admissionMetrics>;
  readonly #sweep: NodeJS.Timeout;
  #inFlight = 0;
  #idleWaiters: (() => void)[] = [];
  #drainPoll: NodeJS.Timeout | undefined;

  constructor(server: Server, limits: AdmissionLimits, next: RequestListener, registry?: Registry) {
    this.#limits = limits;
    this.#next = next;
    this.#metrics = admissionMetrics(
      registry,
      () => this.#waiting.size,
      () => this.#connections.size,
    );
    server.maxConnections = limits.maxConnections;
    server.on('connection', (socket: Socket) => {
      this.#connections.set(socket, { inFlight: 0, refused: false, bytesWhenIdle: 0 });
      socket.once('close', () => {
        this.#connections.delete(socket);
        this.#checkIdle();
      });
    });
    this.#sweep = sweepStalledOutput(this.#connections, limits.sendTimeoutMs, this.#metrics.closed);
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get bodiesWaiting(): number {
    return this.#waiting.size;
  }

  readonly listener: RequestListener = (req, res) => {
    const socket = req.socket;
    const state = this.#connections.get(socket);
    // Requests parsed from the same read as the one that broke the limit: their connection is
    // already gone, do no work for them.
    if (!state || state.refused) return;
    const tracked = this.#track(socket, state, res);
    if (state.inFlight > this.#limits.maxPipelinedRequests) return this.#refuseConnection(socket, state);
    if (req.httpVersion === '1.1' && req.headers.host === undefined) {
      // RFC 9112 section 3.2: a 1.1 request without Host is answered 400.
      res.setHeader('Connection', 'close');
      answerJson(res, 400, 'missing Host header');
      return;
    }
    if (!announcesBody(req)) {
      if (this.#enterApi(req, res, tracked)) this.#next(req, res);
      return;
    }
    this.#admitWithBody(req, res, tracked);
  };

  whenIdle(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#idleWaiters.push(resolve);
      // A begun request becomes in flight, or stalls, without an event of ours: look often.
      clearInterval(this.#drainPoll);
      this.#drainPoll = setInterval(() => this.#checkIdle(), DRAIN_POLL_MS);
      this.#drainPoll.unref();
      this.#checkIdle();
    });
  }

  closeIdle(): void {
    for (const [socket, state] of this.#connections) {
      if (state.inFlight > 0 || startedRequest(socket, state)) continue;
      lingeringClose(socket);
    }
  }

  stop(): void {
    clearInterval(this.#sweep);
    clearInterval(this.#drainPoll);
  }

  /** Counts the request in flight, on its connection and in total, until its response closes. */
  #track(socket: Socket, state: ConnectionState, res: ServerResponse): Tracked {
    state.inFlight += 1;
    this.#inFlight += 1;
    const tracked: Tracked = { phase: 'api', res };
    res.once('close', () => {
      tracked.phase = 'closed';
      state.inFlight -= 1;
      this.#inFlight -= 1;
      if (state.inFlight === 0) state.bytesWhenIdle = socket.bytesRead;
      this.#checkIdle();
    });
    return tracked;
  }

  /**
   * More pipelined requests than answers read: answering them would only queue more output for
   * a client that is not reading. Close the connection; its requests are abandoned.
   */
  #refuseConnection(socket: Socket, state: ConnectionState): void {
    state.refused = true;
    this.#metrics.closed.labels('pipeline_limit').inc();
    withoutStacksWhileClosing(socket);
    socket.destroy();
  }

  #admitWithBody(req: IncomingMessage, res: ServerResponse, tracked: Tracked): void {
    closeAfterEarlyAnswer(req, res);
    boundWireBytes(req, res, this.#limits.maxRequestWireBytes, this.#metrics.closed);
    // The body may be in the same read as the headers: Node parses it right after this
    // listener returns. Look once that read is done; only a body still missing then waits.
    setImmediate(() => {
      if (tracked.phase === 'closed') return;
      if (req.complete) {
        if (this.#enterApi(req, res, tracked)) this.#next(req, res);
        return;
      }
      this.#waitForBody(req, tracked);
      this.#next(req, res);
    });
  }

  #enterApi(req: IncomingMessage, res: ServerResponse, tracked: Tracked): boolean {
    tracked.phase = 'api';
    // Bodies still arriving hold no API slot: they have their own pool.
    if (this.#inFlight - this.#waiting.size > this.#limits.maxRequestsInFlight && !EXEMPT.has(pathOf(req.url))) {
      this.#metrics.shed.inc();
      answerJson(res, 503, 'too many requests in flight; retry later', { 'Retry-After': String(RETRY_AFTER_SECONDS) });
      return false;
    }
    return true;
  }

  #waitForBody(req: IncomingMessage, tracked: Tracked): void {
    if (this.#waiting.size >= this.#limits.maxBodiesWaiting) {
      // The slot goes to the newcomer: a client holding one longest is the likeliest to be slow.
      const oldest = this.#waiting.keys().next().value;
      if (oldest) this.#giveUpOnBody(oldest, 'body_evicted');
    }
    tracked.phase = 'body';
    this.#waiting.set(req, tracked);
    const timer = setTimeout(() => this.#giveUpOnBody(req, 'body_timeout'), this.#limits.bodyTimeoutMs);
    timer.unref();
    const leave = () => {
      clearTimeout(timer);
      this.#waiting.delete(req);
    };
    // The body has arrived (the app read it to the end): the request now counts as API work.
    // It is not shed here; the app has it already, and bodiesWaiting bounds how many come at once.
    req.once('end', () => {
      if (tracked.phase !== 'body') return;
      leave();
      tracked.phase = 'api';
    });
    tracked.res.once('close', leave);
  }

  #giveUpOnBody(req: IncomingMessage, reason: 'body_timeout' | 'body_evicted'): void {
    const tracked = this.#waiting.get(req);
    if (!tracked) return;
    this.#metrics.closed.labels(reason).inc();
    // 408 as nginx answers a client_body_timeout; the early-answer path adds Connection: close.
    answerJson(tracked.res, 408, 'request body not received in time');
  }

  /** A begun request the drain still waits for: its bytes kept coming within DRAIN_STALL_MS. */
  #arriving(socket: Socket, state: ConnectionState, now: number): boolean {
    if (!startedRequest(socket, state)) return false;
    if (state.progress?.bytes !== socket.bytesRead) state.progress = { bytes: socket.bytesRead, at: now };
    return now - state.progress.at < DRAIN_STALL_MS;
  }

  #checkIdle(): void {
    if (this.#idleWaiters.length === 0 || this.#inFlight > 0) return;
    const now = Date.now();
    for (const [socket, state] of this.#connections) if (this.#arriving(socket, state, now)) return;
    clearInterval(this.#drainPoll);
    const resolve = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const r of resolve) r();
  }
}

export function admission(server: Server, limits: AdmissionLimits, next: RequestListener, registry?: Registry): Admission {
  return new Gate(server, limits, next, registry);
}
