import { expect } from 'chai';
import { serveApp } from '../support/app-fixture.ts';

const token = 'test-token-0123456789';
const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

describe('routes: admin simulation endpoint', () => {
  it('does not exist unless a token is configured', async () => {
    const app = await serveApp();
    try {
      expect((await app.json('/admin/simulation', { headers: auth })).status).to.equal(404);
    } finally {
      await app.server.close();
    }
  });

  describe('with a token', () => {
    let app: Awaited<ReturnType<typeof serveApp>>;
    before(async () => {
      app = await serveApp({ ADMIN_TOKEN: token });
    });
    after(() => app.server.close());

    it('refuses requests without the right bearer token', async () => {
      expect((await app.json('/admin/simulation')).status).to.equal(401);
      expect((await app.json('/admin/simulation', { headers: { authorization: 'Bearer wrong' } })).status).to.equal(401);
    });

    it('changes a route at run time and the route obeys', async () => {
      const put = await app.json('/admin/simulation/get_item', { method: 'PUT', headers: auth, body: JSON.stringify({ errorRate: 1 }) });
      expect(put.status).to.equal(200);
      expect(put.body.errorRate).to.equal(1);
      expect((await app.json('/api/items/1')).status).to.equal(500);
      const reset = await app.json('/admin/simulation', { method: 'DELETE', headers: auth });
      expect(reset.body.get_item.errorRate).to.equal(0);
      expect((await app.json('/api/items/1')).status).to.equal(200);
    });

    it('rejects out-of-bounds values and unknown routes', async () => {
      const tooSlow = await app.json('/admin/simulation/checkout', {
        method: 'PUT',
        headers: auth,
        body: JSON.stringify({ medianMs: 1e9 }),
      });
      expect(tooSlow.status).to.equal(400);
      const badRate = await app.json('/admin/simulation/checkout', {
        method: 'PUT',
        headers: auth,
        body: JSON.stringify({ errorRate: 1.1 }),
      });
      expect(badRate.status).to.equal(400);
      const unknownField = await app.json('/admin/simulation/checkout', {
        method: 'PUT',
        headers: auth,
        body: JSON.stringify({ speed: 1 }),
      });
      expect(unknownField.status).to.equal(400);
      expect((await app.json('/admin/simulation/nope', { method: 'PUT', headers: auth, body: '{}' })).status).to.equal(404);
    });
  });
});
