// Generators of bad input for the fuzz spec: each returns a request the service must refuse
// with a 4xx JSON error. Seeded, so a failure can be replayed.
import type { Uniform } from '../../service/src/simulation/random.ts';
import type { RawOptions } from '../support/raw-http.ts';

export const BODY_LIMIT = 2048;

const pick = <T>(u: Uniform, items: readonly T[]): T => items[Math.floor(u() * items.length)]!;
const int = (u: Uniform, n: number) => Math.floor(u() * n);

function junk(u: Uniform, max = 40): string {
  const alphabet = 'abcXYZ019-_.~!$&\'()*+,;=:@/?#[]%"<>\\^`{|} \t\u00e9\u4e2d\u{1f600}\u0000';
  let text = '';
  for (let i = 0, n = 1 + int(u, max); i < n; i += 1) text += pick(u, [...alphabet]);
  return text;
}

/** A path segment that cannot be a valid id: encoded junk, traversal, bad escapes, huge. */
function badSegment(u: Uniform): string {
  return pick(u, [
    () => encodeURIComponent(junk(u)),
    () => '..%2F..%2Fetc%2Fpasswd',
    () => '%zz%',
    () => '%00',
    () => `-${int(u, 1000)}`,
    () => '0',
    () => `${'9'.repeat(12)}`,
    () => 'x'.repeat(2000 + int(u, 3000)),
    () => `ord_${'g'.repeat(16)}`,
    () => encodeURIComponent('{"$gt":""}'),
  ])();
}

export function badPathParam(u: Uniform): RawOptions {
  return { path: `${pick(u, ['/api/items/', '/api/orders/'])}${badSegment(u)}` };
}

/** Query strings /api/items rejects: unknown keys, repeated keys, out-of-range or junk values. */
export function badQuery(u: Uniform): RawOptions {
  const parts = pick(u, [
    () => [`${encodeURIComponent(junk(u, 10))}x=${encodeURIComponent(junk(u))}`],
    () => ['limit=1', 'limit=2'],
    () => [`limit=${pick(u, ['-1', '0', '101', 'abc', '1e3', '', 'NaN', '%00', '99999999999999999999'])}`],
    () => [`offset=${pick(u, ['-5', '10001', 'x', '1.5'])}`],
    () => [`category=${encodeURIComponent(junk(u))}`],
    () => ['__proto__[polluted]=1'],
    () => ['constructor=1'],
    () => [`a[${encodeURIComponent(junk(u, 5))}][b]=1`],
    () => Array.from({ length: 200 }, (_, i) => `k${i}=${i}`),
  ])();
  return { path: `/api/items?${parts.join('&')}` };
}

const MALFORMED_JSON = [
  '{',
  '{"items": [',
  '{"items": [1,]}',
  "{'items': []}",
  'NaN',
  '{"items": NaN}',
  '\ufeff{"items": []}',
  '{"a":1}{"b":2}',
  'nul',
  '"unterminated',
  '{"items": [{"itemId": 1, "quantity": 1}]',
  ']',
];
const WRONG_SHAPES = [
  'null',
  '[]',
  '42',
  '"text"',
  'true',
  '{}',
  '{"items": "x"}',
  '{"items": []}',
  '{"items": [{"itemId": -1, "quantity": 1}]}',
  '{"items": [{"itemId": 1, "quantity": 1000}]}',
  '{"items": [{"itemId": 1, "quantity": 1}], "admin": true}',
  '{"__proto__": {"x": 1}, "items": []}',
  '{"orderId": "ord_zzz", "paymentMethod": "cash"}',
  '{"orderId": 1}',
];

/** Bodies the write routes refuse: malformed or mis-shaped JSON, wrong types, too big. */
export function badBody(u: Uniform): RawOptions {
  const path = pick(u, ['/api/orders', '/api/checkout']);
  const json = { 'content-type': 'application/json' };
  return pick(u, [
    () => ({ method: 'POST', path, headers: json, body: pick(u, MALFORMED_JSON) }),
    () => ({ method: 'POST', path, headers: json, body: pick(u, WRONG_SHAPES) }),
    () => ({ method: 'POST', path, headers: json, body: `${'['.repeat(900)}${']'.repeat(900)}` }),
    () => ({ method: 'POST', path, headers: json, body: `{"items": [${'{"itemId": 1, "quantity": 1},'.repeat(200)}]}` }), // > limit
    () => ({ method: 'POST', path, headers: { ...json, 'content-length': String(10 * 1024 * 1024) }, body: '{' }),
    () => ({
      method: 'POST',
      path,
      headers: {
        'content-type': pick(u, [
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/xml',
          'application/jsonx',
          junk(u, 10).replace(/[^\x21-\x7e]/g, 'x'),
        ]),
      },
      body: '{"items": [{"itemId": 1, "quantity": 1}]}',
    }),
    () => ({ method: 'POST', path, body: '{"items": [{"itemId": 1, "quantity": 1}]}' }), // no content type
    // gzip, br and deflate with a corrupt body are a known bug (500), tested apart in fuzz.test.ts.
    () => ({
      method: 'POST',
      path,
      headers: { ...json, 'content-encoding': pick(u, ['zstd', 'x-junk', 'identity', 'gzip, x-junk']) },
      body: 'not compressed',
    }),
  ])();
}

/** Parseable but odd headers on otherwise invalid requests. */
export function oddHeaders(u: Uniform): RawOptions {
  const base = pick(u, [badPathParam, badQuery, badBody])(u);
  const headers: Record<string, string> = { ...base.headers };
  const extra = pick(u, [
    () => ({ 'x-request-id': 'x'.repeat(5000) }),
    () => ({ 'x-request-id': '../../etc/passwd;rm -rf' }),
    () => ({ accept: junk(u, 30).replace(/[^\x21-\x7e]/g, 'x') }),
    () => ({ 'accept-charset': 'utf-7' }),
    () => ({ authorization: `Bearer ${'a'.repeat(3000)}` }),
    () => ({ host: 'evil.example:99999' }),
    () => ({ 'x-forwarded-for': Array.from({ length: 50 }, () => '10.0.0.1').join(', ') }),
    () => Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`x-h${i}`, junk(u, 20).replace(/[^\x21-\x7e]/g, 'y')])),
  ])();
  return { ...base, headers: { ...headers, ...extra } };
}

// Methods Node's parser accepts that the API does not serve (HEAD and OPTIONS are answered).
const ODD_METHODS = [
  'PROPFIND',
  'PROPPATCH',
  'MKCOL',
  'COPY',
  'MOVE',
  'LOCK',
  'UNLOCK',
  'PURGE',
  'SEARCH',
  'REPORT',
  'LINK',
  'UNLINK',
  'MKACTIVITY',
  'CHECKOUT',
  'MERGE',
  'M-SEARCH',
  'NOTIFY',
  'SUBSCRIBE',
  'UNSUBSCRIBE',
  'BIND',
  'REBIND',
  'UNBIND',
  'ACL',
  'SOURCE',
  'QUERY',
  'TRACE',
  'DELETE',
  'PATCH',
  'PUT',
];

export function oddMethod(u: Uniform): RawOptions {
  return {
    method: pick(u, ODD_METHODS),
    path: pick(u, ['/api/items', '/api/items/1', '/api/orders', '/api/checkout', `/${encodeURIComponent(junk(u))}`]),
  };
}

export const GENERATORS = { badPathParam, badQuery, badBody, oddHeaders, oddMethod } as const;
