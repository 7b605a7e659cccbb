// Closing a connection the server has given up on. Node's HTTP server allows half-open
// sockets: `socket.end()` alone sends a FIN and then waits for the client's, so a client that
// never closes keeps the socket (and its place under MAX_CONNECTIONS) for as long as it likes.
import type { Duplex } from 'node:stream';

/** How long a final answer may take to reach the client, or a half-closed socket may linger. */
export const ANSWER_LINGER_MS = 2_000;

function destroyAfterLinger(socket: Duplex): void {
  const linger = setTimeout(() => socket.destroy(), ANSWER_LINGER_MS);
  linger.unref();
  socket.once('close', () => clearTimeout(linger));
}

/** Writes `answer` (if any), then destroys the socket once it is flushed, or after the linger. */
export function answerAndClose(socket: Duplex, answer?: string): void {
  if (socket.destroyed) return;
  destroyAfterLinger(socket);
  socket.end(answer, () => socket.destroy());
}

/**
 * Sends a FIN after what is queued, keeps reading (the caller bounds what it reads) until the
 * client closes its side, and destroys the socket then or after the linger. Destroying a socket
 * with unread input sends a reset, which can destroy the answer before the client reads it.
 */
export function lingeringClose(socket: Duplex): void {
  if (socket.destroyed) return;
  destroyAfterLinger(socket);
  socket.once('end', () => socket.destroy());
  socket.end();
}
