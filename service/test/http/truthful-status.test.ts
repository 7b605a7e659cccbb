// The real service over real HTTP: the status recorded is the one the client received, and a
// known path keeps its template whatever the method.
import { connect } from 'node:net';
import { expect } from 'chai';
import { startService, type RunningService } from '../../../scripts/lib/service-process.ts';

async function metricLine(service: RunningService, prefix: string): Promise<string | undefined> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  return text.split('\n').find((line) => line.startsWith(prefix));
}

describe('metrics: statuses as the client saw them (real process)', function () {
  this.timeout(30_000);
  let service: RunningService;
  before(async () => {
    service = await startService({
      env: { REQUEST_TIMEOUT_MS: '1000', HEADERS_TIMEOUT_MS: '1000', SIM_LATENCY_FACTOR: '0', SIM_ERROR_RATE: '0' },
    });
  });
  after(() => service?.stop());

  it('records a request the server timed out as 408, not 499', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(service.port, service.host);
      let received = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (received += chunk));
      socket.on('close', () => resolve(received));
      socket.on('error', reject);
      // A body that never completes: the request reaches its route, then times out.
      socket.write('POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"items":');
    });
    expect(answer).to.match(/^HTTP\/1\.1 408 /);
    let line: string | undefined;
    for (let i = 0; i < 50 && !line; i += 1) {
      line = await metricLine(service, 'http_requests_total{method="POST",route="/api/orders",status_code="408"}');
      if (!line) await new Promise((r) => setTimeout(r, 100));
    }
    expect(line).to.match(/ 1$/);
    expect(await metricLine(service, 'http_requests_total{method="POST",route="/api/orders",status_code="499"}')).to.equal(undefined);
  });

  it('keeps the route template of a path that exists but not for the method (405)', async () => {
    for (const method of ['DELETE', 'PUT', 'PATCH']) {
      const response = await fetch(`${service.url}/api/items/3`, { method });
      expect(response.status).to.equal(405);
      expect(response.headers.get('allow')?.split(', ').sort()).to.deep.equal(['GET', 'HEAD']);
    }
    expect(await metricLine(service, 'http_requests_total{method="DELETE",route="/api/items/:id",status_code="405"}')).to.match(/ 1$/);
    expect(await metricLine(service, 'http_requests_total{method="DELETE",route="unmatched"')).to.equal(undefined);
    // Bounded: a path no route has stays unmatched, whatever the method.
    expect((await fetch(`${service.url}/api/nothing/here`, { method: 'DELETE' })).status).to.equal(404);
    expect(await metricLine(service, 'http_requests_total{method="DELETE",route="unmatched",status_code="404"}')).to.match(/ 1$/);
  });
});
