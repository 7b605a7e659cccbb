// Retries an assertion until it passes or the time is up: for what the middleware records on a
// response's `close`, which comes after the client has its answer.
import { setTimeout as sleep } from 'node:timers/promises';

export async function eventually(check: () => Promise<unknown>, timeoutMs = 2_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(20);
    }
  }
}
