// Runs the image the way production does: read-only root, only the documented tmpfs, every
// capability dropped, no privilege escalation, the image's own numeric user.
import { freePort } from '../../../scripts/lib/ports.ts';
import { waitFor } from '../../../scripts/lib/wait.ts';
import { podman, uniqueName, type Run } from './podman.ts';

/** The documented writable path: /tmp, a small tmpfs (Kubernetes: an emptyDir). */
export const tmpfsMount = '/tmp:rw,nosuid,nodev,noexec,size=16m,mode=1777';

export const hardenedArgs = [
  '--read-only',
  '--read-only-tmpfs=false', // podman would otherwise add writable /tmp, /var/tmp and /run itself
  '--tmpfs',
  tmpfsMount,
  '--cap-drop',
  'ALL',
  '--security-opt',
  'no-new-privileges',
];

export interface RunningContainer {
  name: string;
  /** http://127.0.0.1:<published port>, or undefined when not published. */
  url: string;
  exec(command: string[], options?: { allowFailure?: boolean }): Promise<Run>;
  logs(): Promise<string>;
  inspect(format: string): Promise<string>;
  /** `podman stop -t timeoutSeconds`; resolves when podman returns. */
  stop(timeoutSeconds: number): Promise<{ seconds: number }>;
  remove(): Promise<void>;
}

export interface ContainerOptions {
  name?: string;
  env?: Record<string, string>;
  network?: string;
  publish?: boolean;
  extraArgs?: string[];
  command?: string[];
}

export async function startContainer(image: string, options: ContainerOptions = {}): Promise<RunningContainer> {
  const name = options.name ?? uniqueName('redline-test');
  const hostPort = options.publish === false ? undefined : await freePort();
  const args = [
    'run',
    '--detach',
    '--name',
    name,
    ...hardenedArgs,
    ...(hostPort ? ['--publish', `127.0.0.1:${hostPort}:8080`] : []),
    ...(options.network ? ['--network', options.network] : []),
    ...Object.entries(options.env ?? {}).flatMap(([key, value]) => ['--env', `${key}=${value}`]),
    ...(options.extraArgs ?? []),
    image,
    ...(options.command ?? []),
  ];
  await podman(args);
  const url = hostPort ? `http://127.0.0.1:${hostPort}` : '';
  const container: RunningContainer = {
    name,
    url,
    exec: (command, execOptions = {}) => podman(['exec', name, ...command], execOptions),
    logs: async () => {
      const run = await podman(['logs', name]);
      return run.stdout + run.stderr;
    },
    inspect: async (format) => (await podman(['inspect', '--format', format, name])).stdout.trim(),
    stop: async (timeoutSeconds) => {
      const started = performance.now();
      await podman(['stop', '--time', String(timeoutSeconds), name], { timeoutMs: (timeoutSeconds + 30) * 1000 });
      return { seconds: (performance.now() - started) / 1000 };
    },
    remove: async () => {
      await podman(['rm', '--force', '--time', '0', name], { allowFailure: true });
    },
  };
  if (url) {
    try {
      await waitFor(
        `${name} to answer /readyz`,
        async () => ((await fetch(`${url}/readyz`).catch(() => undefined))?.ok ? true : undefined),
        {
          timeoutMs: 30_000,
        },
      );
    } catch (error) {
      const logs = await container.logs().catch(() => '');
      await container.remove();
      throw new Error(`${(error as Error).message}\ncontainer logs:\n${logs}`);
    }
  }
  return container;
}

/** A user network with name resolution (CNI dnsname), like a compose project's network. */
export async function createNetwork(): Promise<{ name: string; remove(): Promise<void> }> {
  const name = uniqueName('redline-net');
  await podman(['network', 'create', name]);
  return { name, remove: async () => void (await podman(['network', 'rm', '--force', name], { allowFailure: true })) };
}
