// A memory cgroup of a fixed limit (v1 or v2, whichever the host mounts) and the real service
// process started inside it, so a test sees what the kernel would do to the pod.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../scripts/lib/ports.ts';
import { serviceEntry } from '../../scripts/lib/service-process.ts';
import { waitFor } from '../../scripts/lib/wait.ts';

const CGROUP_ROOT = '/sys/fs/cgroup';
const CGROUP2_MAGIC = 0x63677270;

export interface MemoryCgroup {
  dir: string;
  version: 1 | 2;
  /** Highest memory charged to the group since it was made, in bytes. */
  peakBytes(): number;
  /** Processes the kernel OOM-killed in the group. */
  oomKills(): number;
  remove(): Promise<void>;
}

const read = (file: string) => readFileSync(file, 'utf8').trim();

/** Creates a memory cgroup limited to `limitBytes` (no swap). Needs root. */
export function createMemoryCgroup(name: string, limitBytes: number): MemoryCgroup {
  const v2 = statfsSync(CGROUP_ROOT).type === CGROUP2_MAGIC;
  const dir = v2 ? join(CGROUP_ROOT, name) : join(CGROUP_ROOT, 'memory', name);
  if (!v2 && !existsSync(join(CGROUP_ROOT, 'memory'))) throw new Error('no memory cgroup controller mounted');
  mkdirSync(dir);
  if (v2) {
    writeFileSync(join(dir, 'memory.max'), String(limitBytes));
    if (existsSync(join(dir, 'memory.swap.max'))) writeFileSync(join(dir, 'memory.swap.max'), '0');
  } else {
    writeFileSync(join(dir, 'memory.limit_in_bytes'), String(limitBytes));
    // With swap accounting on, also forbid swap so the limit is the real ceiling.
    if (existsSync(join(dir, 'memory.memsw.limit_in_bytes'))) writeFileSync(join(dir, 'memory.memsw.limit_in_bytes'), String(limitBytes));
  }
  const oomKills = () => {
    const text = v2 ? read(join(dir, 'memory.events')) : read(join(dir, 'memory.oom_control'));
    return Number(/oom_kill (\d+)/.exec(text)?.[1] ?? 0);
  };
  return {
    dir,
    version: v2 ? 2 : 1,
    peakBytes: () => Number(read(join(dir, v2 ? 'memory.peak' : 'memory.max_usage_in_bytes'))),
    oomKills,
    async remove() {
      for (let i = 0; i < 50; i += 1) {
        try {
          rmdirSync(dir);
          return;
        } catch {
          await sleep(100); // the killed process may still be leaving the group
        }
      }
    },
  };
}

export interface ConfinedService {
  url: string;
  port: number;
  process: ChildProcess;
  output: string[];
  /** The process's peak resident set (VmHWM), in bytes; undefined once it has exited. */
  peakRss(): number | undefined;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

/**
 * Starts `node service/src/main.ts` inside `cgroup`: a shell joins the group and then execs
 * node, so every byte the service allocates is charged to it from the first instruction.
 */
export async function startConfinedService(cgroup: MemoryCgroup, env: Record<string, string> = {}): Promise<ConfinedService> {
  const port = await freePort('127.0.0.1');
  const child = spawn('/bin/sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', cgroup.dir, process.execPath, serviceEntry], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line && output.push(line) > 500) output.shift();
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    'the confined service to be ready',
    async () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`service exited: ${output.join('\n')}`);
      const response = await fetch(`${url}/readyz`).catch(() => undefined);
      return response?.ok ? true : undefined;
    },
    { timeoutMs: 20_000 },
  );
  const peakRss = () => {
    try {
      const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
      return kb === undefined ? undefined : Number(kb) * 1024;
    } catch {
      return undefined;
    }
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  return { url, port, process: child, output, peakRss, exited, stop };
}
