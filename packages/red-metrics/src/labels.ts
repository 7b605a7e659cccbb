// Label values must come from a small, fixed set whatever clients send: these functions
// map request facts onto that set.

/** The default route label of a request that no route matched (404s, scanners). */
export const UNMATCHED_ROUTE = 'unmatched';
/** The method label of a method outside the standard set (as OpenTelemetry's `_OTHER`). */
export const OTHER_METHOD = '_OTHER';

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

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME_PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Checks a metric name prefix and constant labels once, at construction. */
export function checkNaming(prefix: string, constLabels: Record<string, string>, reserved: readonly string[]): void {
  if (prefix !== '' && !METRIC_NAME_PREFIX.test(prefix)) throw new TypeError(`invalid metric name prefix ${JSON.stringify(prefix)}`);
  for (const name of Object.keys(constLabels)) {
    if (!LABEL_NAME.test(name) || name.startsWith('__')) throw new TypeError(`invalid label name ${JSON.stringify(name)}`);
    if (reserved.includes(name)) throw new TypeError(`constant label ${name} clashes with a RED label`);
    if (typeof constLabels[name] !== 'string') throw new TypeError(`constant label ${name} must be a string`);
  }
}
