// Closing a connection the server has given up on. Node's HTTP server allows half-open
// sockets: `socket.end()` alone sends a FIN and then waits for the client's, so a client that
// never closes keeps the socket (and its place under MAX_CONNECTIONS) for as long as it likes.
import type { Duplex } from 'node:stream';

/** How long a final answer may take to reach a client that does not read it. */
export const ANSWER_LINGER_MS = 2_000;

/** Writes `answer` (if any), then destroys the socket once it is flushed, or after the linger. */
export function answerAndClose(socket: Duplex, answer?: string): void {
  if (socket.destroyed) return;
  const linger = setTimeout(() => socket.destroy(), ANSWER_LINGER_MS);
  linger.unref();
  socket.once('close', () => clearTimeout(linger));
  socket.end(answer, () => socket.destroy());
}
