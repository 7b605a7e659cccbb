// The admin endpoint's edges, against the real service process.
import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { serviceEntry, startService, type RunningService } from '../../scripts/lib/service-process.ts';
import { send, sendRaw, statusOfRaw } from '../support/raw-http.ts';

const TOKEN = 'hardening-admin-token-0123';
const AUTH = { authorization: `Bearer ${TOKEN}` };

describe('hardening: admin endpoint edges (real process)', function () {
  this.timeout(30_000);
  let service: RunningService;
  before(async () => {
    service = await startService({ env: { ADMIN_TOKEN: TOKEN, SIM_ERROR_RATE: '0' } });
  });
  after(() => service?.stop());

  const put = (route: string, body: unknown, headers: Record<string, string> = AUTH) =>
    send(service.url, {
      method: 'PUT',
      path: `/admin/simulation/${route}`,
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('refuses a latency profile whose spread is degenerate (5e-324 ms median, 30 s p99), and the route stays fast', async () => {
    const answer = await put('get_item', { medianMs: 5e-324, p99Ms: 30_000 });
    expect(answer.status).to.equal(400);
    expect(answer.body).to.match(/at most 1000 x the median/);
    expect((await put('get_item', { medianMs: 0, p99Ms: 10 })).status).to.equal(400);
    const started = performance.now();
    for (let i = 0; i < 20; i += 1) expect((await send(service.url, { path: '/api/items/1' })).status).to.equal(200);
    expect(performance.now() - started).to.be.below(5_000);
    // The widest spread allowed is still a profile: 1 ms median, 1 s p99.
    expect((await put('get_item', { medianMs: 1, p99Ms: 1_000 })).status).to.equal(200);
    await send(service.url, { method: 'DELETE', path: '/admin/simulation', headers: AUTH });
  });

  it('answers 401 with a WWW-Authenticate challenge', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong' }] as Record<string, string>[]) {
      const answer = await send(service.url, { path: '/admin/simulation', headers });
      expect(answer.status).to.equal(401);
      expect(answer.headers['www-authenticate']).to.equal('Bearer realm="redline-admin"');
    }
  });

  it('refuses duplicate Authorization headers, even when one of them is right', async () => {
    for (const pair of [
      [`Bearer ${TOKEN}`, 'Bearer wrong'],
      ['Bearer wrong', `Bearer ${TOKEN}`],
      [`Bearer ${TOKEN}`, `Bearer ${TOKEN}`],
    ]) {
      const raw = await sendRaw(
        service.url,
        `GET /admin/simulation HTTP/1.1\r\nHost: x\r\nAuthorization: ${pair[0]}\r\nAuthorization: ${pair[1]}\r\nConnection: close\r\n\r\n`,
      );
      expect(statusOfRaw(raw), raw).to.equal(400);
      expect(raw).to.include('more than one Authorization header');
    }
  });

  it('does not reveal the allowed methods without the token (OPTIONS, or a method no admin route has)', async () => {
    for (const method of ['OPTIONS', 'POST', 'PATCH']) {
      for (const path of ['/admin/simulation', '/admin/simulation/checkout', '/admin/other']) {
        const answer = await send(service.url, { method, path });
        expect(answer.status, `${method} ${path}`).to.equal(401);
        expect(answer.headers.allow, `${method} ${path}`).to.equal(undefined);
      }
    }
    const withToken = await send(service.url, { method: 'OPTIONS', path: '/admin/simulation', headers: AUTH });
    expect(withToken.status).to.equal(204);
    expect(withToken.headers.allow).to.match(/GET/);
  });

  it('refuses a non-ASCII ADMIN_TOKEN at startup (exit 78, naming the variable)', () => {
    for (const token of ['pässwörd-0123456789', 'token with spaces 0123']) {
      const result = spawnSync(process.execPath, [serviceEntry], {
        env: { ...process.env, ADMIN_TOKEN: token, PORT: '1' },
        encoding: 'utf8',
        timeout: 15_000,
      });
      expect(result.status).to.equal(78);
      expect(result.stderr).to.match(/ADMIN_TOKEN: must be printable ASCII without spaces/);
    }
  });
});
