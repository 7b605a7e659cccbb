// Bad input against the real service process: seeded fuzz of path parameters, query strings,
// bodies, headers and methods. Every answer must be a 4xx with the service's JSON error, the
// process must stay up, and the RED series must stay within the fixed label sets.
import { expect } from 'chai';
import { seededUniform } from '../../service/src/simulation/random.ts';
import { type RunningService, startService } from '../../scripts/lib/service-process.ts';
import { redLabelValues, send, sendRaw, statusOfRaw, type Answer, type RawOptions } from '../support/raw-http.ts';
import { BODY_LIMIT, GENERATORS } from './fuzz.ts';

const CASES_PER_GENERATOR = 60;
const STANDARD_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT', 'QUERY', '_OTHER']);
const ROUTES = new Set(['/api/items', '/api/items/:id', '/api/orders', '/api/orders/:id', '/api/checkout', 'unmatched']);
/** What @koa/router's body-parser layer would be labelled as, if a bad body lost its route. */
const BODY_PARSER_LAYER = '(?:\\/|$)';

function describeCase(c: RawOptions): string {
  const body = c.body === undefined ? '' : ` body=${String(c.body).slice(0, 80)}`;
  return `${c.method ?? 'GET'} ${c.path.slice(0, 120)} headers=${JSON.stringify(c.headers ?? {}).slice(0, 120)}${body}`;
}

function expectJsonClientError(answer: Answer, what: string): void {
  expect(answer.status, what).to.be.within(400, 499);
  expect(String(answer.headers['content-type']), what).to.match(/^application\/json/);
  const parsed = JSON.parse(answer.body) as { error?: { status?: number; message?: unknown } };
  expect(parsed.error?.status, what).to.equal(answer.status);
  expect(parsed.error?.message, what).to.be.a('string');
}

async function fuzzPass(service: RunningService, seed: number): Promise<Record<number, number>> {
  const uniform = seededUniform(seed);
  const statuses: Record<number, number> = {};
  for (const [name, generate] of Object.entries(GENERATORS)) {
    for (let i = 0; i < CASES_PER_GENERATOR; i += 1) {
      const c = generate(uniform);
      const answer = await send(service.url, c);
      expectJsonClientError(
        answer,
        `${name} (seed ${seed}, case ${i}): ${describeCase(c)} → ${answer.status} ${answer.body.slice(0, 200)}`,
      );
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
    }
  }
  return statuses;
}

describe('hardening: bad input (real process)', function () {
  this.timeout(60_000);
  let service: RunningService;

  before(async () => {
    service = await startService({ env: { SIM_ERROR_RATE: '0', SIM_LATENCY_FACTOR: '0', BODY_LIMIT_BYTES: String(BODY_LIMIT) } });
  });
  after(async () => {
    await service?.stop();
  });

  it('answers every fuzzed request with a 4xx JSON error and keeps the RED series bounded', async () => {
    const first = await fuzzPass(service, 1);
    const afterFirst = redLabelValues(await (await fetch(`${service.url}/metrics`)).text());
    const second = await fuzzPass(service, 2);
    const afterSecond = redLabelValues(await (await fetch(`${service.url}/metrics`)).text());

    // The fuzz reached the interesting answers, not just one kind of refusal.
    const seen = Object.keys({ ...first, ...second }).map(Number);
    expect(seen).to.include.members([400, 404, 405, 413, 415]);
    // Bounded: label values come only from the fixed sets, whatever was sent.
    for (const route of afterSecond.routes) expect(ROUTES, `route label ${route}`).to.include(route);
    for (const method of afterSecond.methods) expect(STANDARD_METHODS, `method label ${method}`).to.include(method);
    expect(afterSecond.methods).to.include('_OTHER');
    // A second pass with new random input adds (almost) nothing.
    expect(afterSecond.series).to.be.at.most(Math.ceil(afterFirst.series * 1.05));
    expect(service.process.exitCode).to.equal(null);
    expect((await fetch(`${service.url}/healthz`)).status).to.equal(200);
  });

  it('enforces the body limit with 413, also for a chunked body without a length', async () => {
    const big = JSON.stringify({ items: Array.from({ length: 500 }, () => ({ itemId: 1, quantity: 1 })) });
    expect(big.length).to.be.above(BODY_LIMIT);
    const declared = await send(service.url, {
      method: 'POST',
      path: '/api/orders',
      headers: { 'content-type': 'application/json' },
      body: big,
    });
    expectJsonClientError(declared, 'declared length');
    expect(declared.status).to.equal(413);
    const chunked = await send(service.url, {
      method: 'POST',
      path: '/api/orders',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      body: big,
    });
    expectJsonClientError(chunked, 'chunked');
    expect(chunked.status).to.equal(413);
    const fits = await send(service.url, {
      method: 'POST',
      path: '/api/orders',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ items: [{ itemId: 1, quantity: 2 }] }),
    });
    expect(fits.status).to.equal(201);
  });

  it('refuses requests Node cannot parse with a 4xx and closes the connection, and stays up', async () => {
    const cases = [
      `GET /api/items HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, // headers over 16 KiB
      'FOO /api/items HTTP/1.1\r\nHost: x\r\n\r\n', // a method llhttp does not know
      'GET /api/items HTTP/1.1\r\nHost: x\r\nBad Header: x\r\n\r\n',
      'POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', // smuggling shape
      'GET /api/items HTTP/9.9\r\nHost: x\r\n\r\n',
      'GET /api/items HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
      '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03', // a TLS ClientHello on the plain port
    ];
    for (const raw of cases) {
      const answer = await sendRaw(service.url, raw);
      const status = statusOfRaw(answer);
      expect(status, JSON.stringify(raw.slice(0, 60))).to.be.within(400, 499);
    }
    expect((await fetch(`${service.url}/healthz`)).status).to.equal(200);
  });

  it('labels a request whose body fails to parse with its route', async () => {
    const answer = await send(service.url, {
      method: 'POST',
      path: '/api/orders',
      headers: { 'content-type': 'application/json' },
      body: '{',
    });
    expect(answer.status).to.equal(400);
    const labels = redLabelValues(await (await fetch(`${service.url}/metrics`)).text());
    expect([...labels.routes]).not.to.include(BODY_PARSER_LAYER);
    expect([...labels.statuses]).to.include('400');
  });

  // A body that claims gzip/br/deflate but is not: zlib throws without an HTTP status, which
  // must not become a 500 that burns the error budget.
  it('answers a corrupt compressed body with 400, not 500', async () => {
    for (const encoding of ['gzip', 'br', 'deflate']) {
      const answer = await send(service.url, {
        method: 'POST',
        path: '/api/orders',
        headers: { 'content-type': 'application/json', 'content-encoding': encoding },
        body: 'not compressed',
      });
      expectJsonClientError(answer, encoding);
    }
  });

  // Requests Node's HTTP parser refuses never reach Koa; server.ts answers them in JSON too.
  it('answers unparseable requests with a JSON error too', async () => {
    const malformed = await sendRaw(service.url, 'FOO /api/items HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(malformed).to.match(/^HTTP\/1\.1 400 /);
    expect(malformed).to.match(/content-type: application\/json/i);
    expect(malformed).to.include('{"error":{"status":400');
    const huge = await sendRaw(service.url, `GET /api/items HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(huge).to.match(/^HTTP\/1\.1 431 /);
    expect(huge).to.include('{"error":{"status":431');
  });
});
