// The status a client actually saw, read when the response closes. Shared by the RED metrics
// and the request log so both tell the same story.
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** The status of a request whose client went away before the response ended (nginx's 499). */
export const CLIENT_CLOSED_STATUS = 499;

/** Sockets the server answered itself (a request timeout's 408), bypassing the response. */
const answeredBySocket = new WeakMap<Socket, number>();

/** Records that the server wrote `status` straight to the socket, as Node's timeouts do. */
export function markSocketAnswered(socket: object, status: number): void {
  answeredBySocket.set(socket as Socket, status);
}

/**
 * At a response's 'close': the status sent; the status the server wrote to the socket itself
 * when it gave up on the request (408 on a request timeout); otherwise 499, the client left.
 */
export function statusAtClose(res: Pick<ServerResponse, 'writableFinished' | 'statusCode' | 'req'>): number {
  if (res.writableFinished) return res.statusCode;
  const socket = res.req?.socket;
  return (socket && answeredBySocket.get(socket)) || CLIENT_CLOSED_STATUS;
}
