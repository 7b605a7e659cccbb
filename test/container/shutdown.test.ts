// `podman stop` sends SIGTERM to PID 1 (node) and SIGKILLs after the timeout. Under steady
// load the service must flip readiness, finish what is in flight, and exit 0 on its own.
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { startContainer, type RunningContainer } from './support/container.ts';
import type { BuiltImage } from './support/image.ts';
import { steadyLoad, type Outcome } from './support/load.ts';
import { requireImage } from './support/suite.ts';

const STOP_TIMEOUT_S = 30; // podman's grace period before SIGKILL (Kubernetes: terminationGracePeriodSeconds)
const SHUTDOWN_DELAY_MS = 1500; // readiness 503 → listener closes (endpoints catch up meanwhile)

describe('container shutdown: podman stop (SIGTERM to PID 1) under steady load', function () {
  let image: BuiltImage;
  let service: RunningContainer;

  before(async function () {
    image = await requireImage(this);
    service = await startContainer(image.tag, {
      env: {
        SHUTDOWN_DELAY_MS: String(SHUTDOWN_DELAY_MS),
        SHUTDOWN_TIMEOUT_MS: '10000',
        // Slow enough that requests are in flight when SIGTERM arrives; no simulated errors,
        // so any 5xx or transport failure is the shutdown's fault.
        SIM_ERROR_RATE: '0',
        SIM_LIST_ITEMS_MEDIAN_MS: '300',
        SIM_LIST_ITEMS_P99_MS: '900',
      },
    });
  });

  after(async function () {
    this.timeout(60_000);
    await service?.remove();
  });

  it('flips readiness, finishes in-flight requests, exits 0 well before the stop timeout, and fails no request', async function () {
    this.timeout(90_000);
    // Like a load balancer: send steadily, and stop sending new requests once readiness says 503.
    const load = steadyLoad(service.url, { rate: 40, path: '/api/items' });
    let notReadyAt: number | undefined;
    let readinessPolling = true;
    const readiness = (async () => {
      while (readinessPolling && notReadyAt === undefined) {
        const response = await fetch(`${service.url}/readyz`).catch(() => undefined);
        if (response?.status === 503) notReadyAt = performance.now();
        await response?.arrayBuffer();
        await sleep(50);
      }
    })();

    await sleep(2000);
    const stopAt = performance.now();
    const stopping = service.stop(STOP_TIMEOUT_S);
    while (notReadyAt === undefined && performance.now() - stopAt < 10_000) await sleep(20);
    const outcomes = await load.stop();
    const { seconds: stopSeconds } = await stopping;
    readinessPolling = false;
    await readiness;

    const exitCode = await service.inspect('{{.State.ExitCode}}');
    const logs = await service.logs();
    const failed = outcomes.filter((o: Outcome) => o.error !== undefined || (o.status ?? 0) >= 500 || o.status === undefined);
    const inFlightAtStop = outcomes.filter((o) => o.startedAt < stopAt && o.endedAt > stopAt);
    const afterStop = outcomes.filter((o) => o.startedAt >= stopAt);
    const numbers = {
      requests: outcomes.length,
      failed: failed.length,
      inFlightAtSigterm: inFlightAtStop.length,
      sentAfterSigterm: afterStop.length,
      readinessFlipMs: notReadyAt === undefined ? null : Math.round(notReadyAt - stopAt),
      stopSeconds: Number(stopSeconds.toFixed(2)),
      stopTimeoutSeconds: STOP_TIMEOUT_S,
      exitCode: Number(exitCode),
    };
    console.log(`      shutdown: ${JSON.stringify(numbers)}`);

    expect(notReadyAt, '/readyz never answered 503 after SIGTERM').to.not.equal(undefined);
    expect(notReadyAt! - stopAt).to.be.lessThan(SHUTDOWN_DELAY_MS, 'readiness must flip before the listener closes');
    expect(
      failed.map((o) => o.error ?? o.status),
      'failed requests',
    ).to.deep.equal([]);
    expect(inFlightAtStop.length, 'requests in flight at SIGTERM (the test needs some)').to.be.greaterThan(3);
    expect(inFlightAtStop.every((o) => o.status === 200)).to.equal(true);
    expect(numbers.exitCode, `exit code; logs:\n${logs}`).to.equal(0);
    // Drain = shutdown delay + the slowest in-flight request; a SIGKILL would take STOP_TIMEOUT_S.
    expect(stopSeconds).to.be.lessThan(STOP_TIMEOUT_S / 3);
    expect(logs).to.match(/"reason":"SIGTERM"/);
    expect(logs).to.match(/"drained":true/);
  });

  it('control: a shell as PID 1 (shell-form CMD) would not pass SIGTERM on, and is SIGKILLed at the timeout', async function () {
    this.timeout(60_000);
    // `; true` keeps sh from exec-ing node, as a shell-form CMD with more than one command does.
    const wrapped = await startContainer(image.tag, { command: ['sh', '-c', 'node service/src/main.ts; true'] });
    try {
      const { seconds } = await wrapped.stop(3);
      const exitCode = Number(await wrapped.inspect('{{.State.ExitCode}}'));
      console.log(`      control: sh as PID 1 stopped after ${seconds.toFixed(2)} s with exit code ${exitCode}`);
      expect(exitCode).to.equal(137); // 128 + SIGKILL: what the real test would catch
      expect(seconds).to.be.greaterThan(2.5);
    } finally {
      await wrapped.remove();
    }
  });
});
