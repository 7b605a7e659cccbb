// Stand-in executables on PATH for the tool and platform tests: a fake `uname` (and macOS'
// `sysctl`) to play another OS and architecture, fake tools that print a version, and PATH
// with the machine's own copies of some tools taken out.
import { chmod, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const made: string[] = [];

/** Removes every directory this module made. */
export async function cleanShims(): Promise<void> {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** A directory of `#!/bin/sh` executables, one per entry (an undefined one is left out). */
export async function standIns(scripts: Record<string, string | undefined>): Promise<string> {
  const dir = await tempDir('redline-tools-');
  for (const [name, body] of Object.entries(scripts)) {
    if (body === undefined) continue;
    await writeFile(join(dir, name), `#!/bin/sh\n${body}\n`);
    await chmod(join(dir, name), 0o755);
  }
  return dir;
}

export type Os = 'Darwin' | 'Linux';

/**
 * `uname -s` / `uname -m` as the platform reports them; `sysctl -n hw.optional.arm64` says 1
 * on Apple silicon (also under Rosetta, where uname -m says x86_64).
 */
export function platformScripts(os: Os, machine: string, appleSilicon = false): Record<string, string> {
  return {
    uname: `case "$1" in -m) echo ${machine};; *) echo ${os};; esac`,
    sysctl: `[ "$2" = hw.optional.arm64 ] && { echo ${appleSilicon ? 1 : 0}; exit 0; }; exit 1`,
  };
}

/** `node` that is this process' Node (24), for scripts that look for one on PATH. */
export function nodeScript(): Record<string, string> {
  return { node: `exec "${process.execPath}" "$@"` };
}

/**
 * PATH with `tools` taken out, plus directories of stand-ins first. A directory on PATH that
 * holds one of them (on CI runners docker sits in /usr/bin, beside make and sh) is replaced by
 * a temporary copy made of symlinks to everything else in it.
 */
export async function pathWithout(tools: string[], ...first: string[]): Promise<string> {
  const dirs: string[] = [];
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    if (!tools.some((t) => existsSync(join(dir, t)))) {
      dirs.push(dir);
      continue;
    }
    const shadow = await tempDir('redline-path-');
    for (const entry of await readdir(dir)) {
      if (!tools.includes(entry)) await symlink(join(dir, entry), join(shadow, entry));
    }
    dirs.push(shadow);
  }
  return [...first, ...dirs].join(delimiter);
}
