// The whole redline app, in process, with a fixed seed and no simulated latency or errors
// unless a test asks for them.
import { pino } from 'pino';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { Readiness } from '../../src/health.ts';
import { listen } from '../../../test/support/listen.ts';

export async function serveApp(env: Record<string, string> = {}) {
  const config = loadConfig({
    SIM_SEED: '1',
    SIM_LATENCY_FACTOR: '0',
    SIM_ERROR_RATE: '0',
    ...env,
  });
  const readiness = new Readiness();
  const made = createApp({ config, logger: pino({ level: 'silent' }), readiness });
  const server = await listen(made.app);
  const json = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(server.url + path, init);
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON: the test will say so */
    }
    // biome-ignore lint/suspicious/noExplicitAny: the tests read any field of a body they assert on; chai checks it at runtime
    return { status: response.status, headers: response.headers, body: body as any };
  };
  const post = (path: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    json(path, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { ...made, readiness, server, json, post };
}
