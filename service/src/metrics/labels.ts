// Label values must come from a small, fixed set whatever clients send: these functions
// map request facts onto that set.

/** The route label of a request that no route matched (404s, scanners). */
export const UNMATCHED_ROUTE = 'unmatched';
/** The method label of a method outside the standard set (as OpenTelemetry's `_OTHER`). */
export const OTHER_METHOD = '_OTHER';
/** The status label of a request whose client went away before the response ended. */
export const CLIENT_CLOSED_STATUS = 499;

/** At a response's 'close': the status sent, or 499 when the client left before the end. */
export function statusAtClose(res: { writableFinished: boolean; statusCode: number }): number {
  return res.writableFinished ? res.statusCode : CLIENT_CLOSED_STATUS;
}

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT', 'QUERY']);

export function methodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : OTHER_METHOD;
}

export type ErrorType = 'exception' | 'server_error';

/** Errors are server-side failures only: 5xx. A client error or a client that left is not one. */
export function errorType(statusCode: number, threw: boolean): ErrorType | undefined {
  if (statusCode < 500 || statusCode > 599) return undefined;
  return threw ? 'exception' : 'server_error';
}
