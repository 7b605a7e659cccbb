// Starts benchmark subjects (bench/fixtures/server.ts) as separate processes, so the load
// generator (this process) never shares an event loop with a server.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Kind } from '../fixtures/kinds.ts';

const fixture = fileURLToPath(new URL('../fixtures/server.ts', import.meta.url));

export interface Subject {
  name: string;
  url: string;
  pid: number;
  /** Headers every request to it carries (the load differs, not the server). */
  headers?: Record<string, string>;
  stop(): Promise<void>;
}

export interface SubjectOptions {
  name: string;
  kind: Kind;
  routes?: number;
  series?: number;
  nodeArgs?: string[];
  headers?: Record<string, string>;
}

export async function startSubject({ name, kind, routes = 1, series = 0, nodeArgs = [], headers }: SubjectOptions): Promise<Subject> {
  const child: ChildProcess = spawn(
    process.execPath,
    [...nodeArgs, fixture, '--kind', kind, '--routes', String(routes), '--series', String(series)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      buffered += chunk;
      const match = /listening (\d+)/.exec(buffered);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`${name} exited early (${code})`)));
    setTimeout(() => reject(new Error(`${name} did not start in 20s`)), 20_000).unref();
  });
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    ...(headers ? { headers } : {}),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function stopAll(subjects: Subject[]): Promise<void> {
  await Promise.all(subjects.map((s) => s.stop()));
}
