// The tool installers (install-prometheus.sh, install-alertmanager.sh) run for real against
// stand-in releases: executables that only report a version, the way the real ones do.
import { execFile } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A folder `root/name` with stand-ins of `tools` that print `<tool>, version <version> (…)`. */
export async function fakeRelease(root: string, name: string, tools: string[], version: string): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  for (const tool of tools) {
    await writeFile(join(dir, tool), `#!/bin/sh\necho "${tool}, version ${version} (branch: HEAD, revision: test)"\n`);
    await chmod(join(dir, tool), 0o755);
  }
  return dir;
}

/** Runs an installer script with `env` added; its exit code and all it printed. */
export function runInstaller(script: string, env: Record<string, string>): Promise<{ code: number; out: string }> {
  return run('bash', [script], { env: { ...process.env, ...env }, timeout: 60_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, out: stdout + stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );
}
