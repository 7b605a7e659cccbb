// One client must not lock everyone else out (issue 23), against the real service process:
// connections the server gives up on are released, a slow body does not hold an API slot, a
// body the server will not read is not read without end, and chunk framing is bounded.
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { type RunningService, startService } from '../../scripts/lib/service-process.ts';
import { send, serverSockets } from './client.ts';

/** A connection that sends `first` (maybe nothing), then never sends, reads or closes again. */
function openSilent(service: RunningService, first = ''): { socket: Socket; received: () => string } {
  // allowHalfOpen: keep our side open after the server's FIN, as an attacker would.
  const socket = connect({ port: service.port, host: service.host, allowHalfOpen: true });
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (received += chunk));
  socket.on('error', () => undefined);
  if (first) socket.write(first);
  return { socket, received: () => received };
}

describe('hardening: no client locks the others out (real process)', function () {
  this.timeout(60_000);

  describe('connections the server gives up on', () => {
    let service: RunningService;
    before(async () => {
      service = await startService({
        env: { SIM_ERROR_RATE: '0', SIM_LATENCY_FACTOR: '0', HEADERS_TIMEOUT_MS: '1000', REQUEST_TIMEOUT_MS: '1000' },
      });
    });
    after(() => service?.stop());

    it('releases 4,200 idle connections after their 408: a new client is served, the socket count returns to baseline', async () => {
      const baseline = serverSockets(service.port, service.process.pid!).total;
      const idle: { socket: Socket; received: () => string }[] = [];
      try {
        for (let i = 0; i < 4_200; i += 1) {
          idle.push(openSilent(service));
          if (i % 200 === 199) await sleep(10); // let the accepts keep up
        }
        // Headers timeout (1 s) + the 1 s connections check + slack.
        await sleep(3_500);
        const answered = idle.filter((c) => c.received().startsWith('HTTP/1.1 408')).length;
        const held = serverSockets(service.port, service.process.pid!);
        const newcomers = await Promise.all(
          Array.from({ length: 20 }, () =>
            send(service.url, { path: '/healthz' }).then(
              (a) => a.status,
              (error: Error) => error.message,
            ),
          ),
        );
        console.log(`      408 answers: ${answered}/4200; server sockets after: ${JSON.stringify(held.byState)} (baseline ${baseline})`);
        expect(newcomers, 'new clients after the idle flood').to.deep.equal(Array(20).fill(200));
        expect(held.total, 'server sockets still held after the 408s').to.be.at.most(baseline + 20);
      } finally {
        for (const c of idle) c.socket.destroy();
      }
    });
  });
});
