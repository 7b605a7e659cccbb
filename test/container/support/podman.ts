// Runs podman through hack/container/podman.sh, which adds the flags these machines need.
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const podmanScript = `${repoRoot}hack/container/podman.sh`;

export interface Run {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs `podman ARGS`; rejects on a non-zero exit unless `allowFailure`. */
export function podman(args: string[], options: { timeoutMs?: number; allowFailure?: boolean; input?: string } = {}): Promise<Run> {
  const { timeoutMs = 120_000, allowFailure = false } = options;
  return new Promise((resolve, reject) => {
    const child = execFile(
      podmanScript,
      args,
      { cwd: repoRoot, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        if (code !== 0 && !allowFailure) {
          reject(new Error(`podman ${args.join(' ')} exited ${code}${error?.killed ? ' (timed out)' : ''}:\n${stderr.slice(-4000)}`));
        } else {
          resolve({ stdout, stderr, code });
        }
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** True when a podman binary is on PATH. */
export function podmanInstalled(): boolean {
  return spawnSync('podman', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** True when this process could install podman itself (root with apt-get, as on CI). */
export function canInstallPodman(): boolean {
  return process.getuid?.() === 0 && spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** A name no other run (another `make test` on the same machine) will pick. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}
