// `make local` as a child process (scripts/local.ts run by this Node), for the specs of its
// argument checks (scripts/test) and of its lifecycle with the real stack (test/integration).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const localScript = join(root, 'scripts/local.ts');

/** Runs scripts/local.ts to its end: status, output, and how long it took. */
export function runLocal(args: string[], timeoutMs = 15_000) {
  const started = Date.now();
  const result = spawnSync(process.execPath, [localScript, ...args], { cwd: root, encoding: 'utf8', timeout: timeoutMs });
  return { ...result, ms: Date.now() - started };
}
