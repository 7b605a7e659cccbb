import { expect } from 'chai';
import { serveApp } from '../support/app-fixture.ts';

describe('routes: the simulated shop API', () => {
  let app: Awaited<ReturnType<typeof serveApp>>;
  before(async () => {
    app = await serveApp();
  });
  after(() => app.server.close());

  it('lists items with paging and a category filter', async () => {
    const { status, body } = await app.json('/api/items?limit=5&offset=2&category=books');
    expect(status).to.equal(200);
    expect(body.items).to.have.length(5);
    expect(body.items.every((item: { category: string }) => item.category === 'books')).to.equal(true);
    expect(body.total).to.be.above(5);
  });

  it('returns one item, 404 for an unknown one, 400 for a malformed id', async () => {
    expect((await app.json('/api/items/7')).body).to.include({ id: 7 });
    expect((await app.json('/api/items/999')).status).to.equal(404);
    for (const id of ['abc', '0', '-1', '1.5', '%00', 'x'.repeat(300)]) {
      const { status, body } = await app.json(`/api/items/${id}`);
      expect(status, id).to.equal(400);
      expect(body.error.message).to.equal('invalid item id');
    }
  });

  it('rejects bad query strings with 400 and the reasons', async () => {
    for (const query of ['limit=0', 'limit=1000', 'offset=-1', 'category=cars', 'surprise=1', 'limit=ten']) {
      const { status, body } = await app.json(`/api/items?${query}`);
      expect(status, query).to.equal(400);
      expect(body.error.details).to.be.an('array').that.is.not.empty;
    }
  });

  it('creates an order, reads it back and checks it out once', async () => {
    const created = await app.post('/api/orders', { items: [{ itemId: 3, quantity: 2 }] });
    expect(created.status).to.equal(201);
    expect(created.headers.get('location')).to.equal(`/api/orders/${created.body.id}`);
    expect((await app.json(`/api/orders/${created.body.id}`)).body).to.include({ id: created.body.id, status: 'pending' });
    const paid = await app.post('/api/checkout', { orderId: created.body.id, paymentMethod: 'card' });
    expect(paid.status).to.equal(200);
    expect(paid.body).to.include({ status: 'paid', chargedCents: created.body.totalCents });
    expect((await app.post('/api/checkout', { orderId: created.body.id, paymentMethod: 'card' })).status).to.equal(409);
  });

  it('answers bad bodies with 4xx JSON errors', async () => {
    const cases: [unknown, Record<string, string> | undefined, number][] = [
      ['{not json', undefined, 400],
      ['"a string"', undefined, 400],
      [{ items: [] }, undefined, 400],
      [{ items: [{ itemId: 1, quantity: 1000 }] }, undefined, 400],
      [{ items: [{ itemId: 1, quantity: 1 }], extra: true }, undefined, 400],
      [{ items: [{ itemId: 5000, quantity: 1 }] }, undefined, 422],
      ['items=1', { 'content-type': 'application/x-www-form-urlencoded' }, 415],
      ['{}', { 'content-type': 'text/plain' }, 415],
      [JSON.stringify({ items: [{ itemId: 1, quantity: 1 }], pad: 'x'.repeat(20_000) }), undefined, 413],
    ];
    for (const [body, headers, expected] of cases) {
      const response = await app.post('/api/orders', body, headers);
      expect(response.status, JSON.stringify(body).slice(0, 60)).to.equal(expected);
      expect(response.body.error).to.include({ status: expected });
      expect(response.body.error.requestId).to.be.a('string');
    }
    expect((await app.post('/api/checkout', { orderId: 'nope', paymentMethod: 'card' })).status).to.equal(400);
    expect((await app.post('/api/checkout', { orderId: 'ord_0000000000000000', paymentMethod: 'card' })).status).to.equal(404);
  });

  it('labels a body the parser rejects with its route', async () => {
    const fresh = await serveApp();
    try {
      expect((await fresh.post('/api/orders', '{broken')).status).to.equal(400);
      expect((await fresh.post('/api/orders', JSON.stringify({ pad: 'x'.repeat(20_000) }))).status).to.equal(413);
      const text = await fresh.registry.metrics();
      expect(text).to.match(/http_requests_total\{method="POST",route="\/api\/orders",status_code="400"\} 1$/m);
      expect(text).to.match(/http_requests_total\{method="POST",route="\/api\/orders",status_code="413"\} 1$/m);
      const routes = new Set([...text.matchAll(/route="([^"]*)"/g)].map((m) => m[1]));
      expect([...routes].sort()).to.deep.equal(['/api/checkout', '/api/items', '/api/items/:id', '/api/orders', '/api/orders/:id']);
    } finally {
      await fresh.server.close();
    }
  });

  it('pays an order once however many checkouts race for it', async () => {
    const slow = await serveApp({ SIM_CHECKOUT_MEDIAN_MS: '100', SIM_CHECKOUT_P99_MS: '100' });
    try {
      const order = await slow.post('/api/orders', { items: [{ itemId: 2, quantity: 1 }] });
      const attempts = await Promise.all(
        Array.from({ length: 3 }, () => slow.post('/api/checkout', { orderId: order.body.id, paymentMethod: 'card' })),
      );
      expect(attempts.map((a) => a.status).sort()).to.deep.equal([200, 409, 409]);
    } finally {
      await slow.server.close();
    }
  });

  it('answers unknown paths 404 and unknown methods 405, both as JSON', async () => {
    const missing = await app.json('/wp-admin/setup.php');
    expect(missing.status).to.equal(404);
    expect(missing.body.error.status).to.equal(404);
    const wrongMethod = await app.json('/api/items', { method: 'DELETE' });
    expect(wrongMethod.status).to.equal(405);
    expect(wrongMethod.headers.get('allow')).to.include('GET');
    const unknownMethod = await app.json('/api/items', { method: 'PROPFIND' });
    expect(unknownMethod.status).to.equal(405);
    expect(unknownMethod.body.error.status).to.equal(405);
  });

  it('keeps a client-supplied request id when it is safe, replaces it otherwise', async () => {
    expect((await app.json('/api/items/1', { headers: { 'x-request-id': 'abc-123' } })).headers.get('x-request-id')).to.equal('abc-123');
    const replaced = (await app.json('/api/items/1', { headers: { 'x-request-id': 'bad id <script>' } })).headers.get('x-request-id');
    expect(replaced).to.match(/^[0-9a-f-]{36}$/);
  });
});

describe('routes: simulated failures', () => {
  it('turns simulated faults into 500 exceptions and checkout faults into 502 server errors', async () => {
    const app = await serveApp({ SIM_ERROR_RATE: '1' });
    try {
      expect((await app.json('/api/items')).status).to.equal(500);
      expect((await app.json('/api/items')).body.error).to.include({ status: 500, message: 'internal server error' });
      app.simulator.set('create_order', { medianMs: 0, p99Ms: 0, errorRate: 0 });
      const order = await app.post('/api/orders', { items: [{ itemId: 1, quantity: 1 }] });
      expect((await app.post('/api/checkout', { orderId: order.body.id, paymentMethod: 'card' })).status).to.equal(502);
      const text = await app.registry.metrics();
      expect(text).to.match(/http_request_errors_total\{method="GET",route="\/api\/items",status_code="500",error_type="exception"\} 2/);
      expect(text).to.match(
        /http_request_errors_total\{method="POST",route="\/api\/checkout",status_code="502",error_type="server_error"\} 1/,
      );
    } finally {
      await app.server.close();
    }
  });
});
