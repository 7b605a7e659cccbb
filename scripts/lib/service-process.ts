// Starts the redline service (or its load generator) as a real child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.ts';
import { waitFor } from './wait.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** The service's entry point; REDLINE_SERVICE_ENTRY runs another checkout's (to compare before/after a change). */

/**
 * Ends a child we started: `signal`, then SIGKILL if it is still running after `graceMs`;
 * resolves once it has exited (`exited` resolves on its exit).
 */
export async function terminate<T>(
  child: ChildProcess,
  exited: Promise<T>,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 5_000,
): Promise<T> {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}

export const serviceEntry = process.env.REDLINE_SERVICE_ENTRY || fileURLToPath(new URL('../../service/src/main.ts', import.meta.url));
export const loadgenEntry = fileURLToPath(new URL('../../service/src/loadgen/main.ts', import.meta.url));

export interface RunningService {
  url: string;
  host: string;
  port: number;
  process: ChildProcess;
  /** The last lines the process wrote (its JSON log lines), at most 2,000. */
  output: string[];
  /**
   * Sends `signal` and waits for the exit; resolves to the exit code (or the signal name). The
   * default, SIGINT, drains without the readiness delay: nothing here balances load.
   */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export interface StartOptions {
  env?: Record<string, string>;
  host?: string;
  port?: number;
  /** Print the service's output as it comes (make local). */
  echo?: (line: string) => void;
}

export function spawnNode(entry: string, args: string[], env: Record<string, string>, echo?: (line: string) => void) {
  const child = spawn(process.execPath, [entry, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    let partial = '';
    stream.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (output.push(line) > 2_000) output.shift();
        echo?.(line);
      }
    });
  }
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const stop = (signal: NodeJS.Signals = 'SIGINT'): Promise<number | string> => terminate(child, exited, signal, 30_000);
  return { child, output, exited, stop };
}

/** Starts the service on a free loopback port and waits until /readyz answers 200. */
export async function startService(options: StartOptions = {}): Promise<RunningService> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort(host));
  const env = { LOG_LEVEL: 'warn', ...options.env, HOST: host, PORT: String(port) };
  const { child, output, exited, stop } = spawnNode(serviceEntry, [], env, options.echo);
  const url = `http://${host}:${port}`;
  try {
    // An exit ends the wait at once (a bad PORT, a busy port), with the service's last words.
    const exit = exited.then((code) => {
      throw new Error(`service exited with code ${code}: ${output.slice(-20).join('\n')}`);
    });
    exit.catch(() => undefined);
    await Promise.race([
      exit,
      waitFor(
        'the service to be ready',
        async () => {
          const response = await fetch(`${url}/readyz`).catch(() => undefined);
          return response?.ok ? true : undefined;
        },
        { timeoutMs: 20_000 },
      ),
    ]);
  } catch (error) {
    await stop('SIGKILL');
    throw error;
  }
  return { url, host, port, process: child, output, stop };
}
