// Checks, before `make kind-up` or `make compose-up` touches anything, that the tools it runs
// are installed and new enough, and says what to install when they are not. Reports every
// problem at once. Usage: node scripts/check-tools.ts docker kind kubectl helm [compose]
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeImageVersion, versions } from './lib/versions.ts';

/** The machine as `uname` names it (Rosetta's x86_64 on Apple silicon counts as arm64). */
export interface Platform {
  os: 'Darwin' | 'Linux' | string;
  arch: 'x86_64' | 'arm64' | string;
}

export function detectPlatform(): Platform {
  const os = run(['uname', '-s']).output.trim();
  let arch = run(['uname', '-m']).output.trim();
  if (arch === 'aarch64') arch = 'arm64';
  if (arch === 'amd64') arch = 'x86_64';
  if (os === 'Darwin' && arch === 'x86_64' && run(['sysctl', '-n', 'hw.optional.arm64']).output.trim() === '1') arch = 'arm64';
  return { os, arch };
}

interface Tool {
  /** Command and arguments that print the version. */
  version: string[];
  /** The first x.y.z in this output is the version. */
  minimum: string;
  /** What to run or read to install it, on this platform. */
  install: (platform: Platform) => string;
  /** Extra check once the version is fine (e.g. Docker's daemon is running). */
  ready?: () => string | undefined;
}

/** Go's name for the architecture, as download URLs spell it. */
const goArch = (p: Platform) => (p.arch === 'arm64' ? 'arm64' : 'amd64');
const kubectlVersion = nodeImageVersion();

const tools: Record<string, Tool> = {
  docker: {
    version: ['docker', '--version'],
    minimum: '24.0.0',
    install: (p) =>
      p.os === 'Darwin'
        ? `install Docker Desktop for Mac (${p.arch === 'arm64' ? 'Apple silicon' : 'Intel chip'}): https://docs.docker.com/desktop/setup/install/mac-install/ (or colima: brew install colima docker && colima start --memory 6)`
        : 'install Docker Engine: https://docs.docker.com/engine/install/ (then add yourself to the docker group); or, with Podman, install podman-docker and run KIND_EXPERIMENTAL_PROVIDER=podman make kind-up',
    ready: () =>
      run(['docker', 'info', '--format', '{{.ServerVersion}}']).ok
        ? undefined
        : 'docker is installed but its daemon is not reachable: start Docker (or check DOCKER_HOST) and retry',
  },
  compose: {
    version: ['docker', 'compose', 'version', '--short'],
    minimum: '2.20.0',
    install: () => 'install the Docker Compose plugin (v2): https://docs.docker.com/compose/install/',
  },
  kind: {
    version: ['kind', 'version'],
    // kind-config.yaml pins the node image that this kind release was released with.
    minimum: versions.KIND_VERSION.replace(/^v/, ''),
    install: (p) =>
      p.os === 'Darwin'
        ? 'install kind: brew install kind (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)'
        : `install kind: curl -Lo kind https://kind.sigs.k8s.io/dl/${versions.KIND_VERSION}/kind-linux-${goArch(p)} && chmod +x kind && sudo mv kind /usr/local/bin/ (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)`,
  },
  kubectl: {
    version: ['kubectl', 'version', '--client'],
    minimum: versions.KUBECTL_MINIMUM,
    install: (p) =>
      p.os === 'Darwin'
        ? `install kubectl: brew install kubectl (https://kubernetes.io/docs/tasks/tools/install-kubectl-macos/); the kind nodes run ${kubectlVersion}`
        : `install kubectl: curl -LO https://dl.k8s.io/release/v${kubectlVersion}/bin/linux/${goArch(p)}/kubectl && chmod +x kubectl && sudo mv kubectl /usr/local/bin/ (https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/)` +
          (p.arch === 'x86_64' ? ', or remove the old one from PATH and run make bootstrap, which then bundles one' : ''),
  },
  helm: {
    version: ['helm', 'version', '--short'],
    minimum: versions.HELM_MINIMUM,
    install: (p) =>
      p.os === 'Darwin'
        ? 'install Helm: brew install helm (https://helm.sh/docs/intro/install/)'
        : `install Helm: https://helm.sh/docs/intro/install/ (the linux-${goArch(p)} binary or your package manager)` +
          (p.arch === 'x86_64' ? ', or remove the old one from PATH and run make bootstrap, which then bundles one' : ''),
  },
};

function run(command: string[]): { ok: boolean; output: string; missing: boolean } {
  const result = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8', timeout: 15_000 });
  const missing = (result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}`, missing };
}

export function parseVersion(text: string): number[] | undefined {
  const match = /(\d+)\.(\d+)\.(\d+)/.exec(text);
  return match ? match.slice(1).map(Number) : undefined;
}

export function atLeast(version: number[], minimum: number[]): boolean {
  for (let i = 0; i < 3; i++) {
    if (version[i]! !== minimum[i]!) return version[i]! > minimum[i]!;
  }
  return true;
}

/** One sentence per problem with `name`; empty when it is installed, new enough and ready. */
export function checkTool(name: string, platform: Platform = detectPlatform(), env: NodeJS.ProcessEnv = process.env): string[] {
  const tool = tools[name];
  if (!tool) return [`unknown tool "${name}" (known: ${Object.keys(tools).join(', ')})`];
  const result = run(tool.version);
  const label = name === 'compose' ? 'docker compose' : name;
  const install = tool.install(platform);
  if (result.missing || (name === 'compose' && !result.ok)) return [`${label} is missing: ${install}`];
  // podman-docker's `docker` is Podman: its version is Podman's, and kind needs telling.
  if (name === 'docker' && /^podman version/im.test(result.output)) return checkPodman(result.output, env);
  const version = parseVersion(result.output);
  if (!result.ok || !version)
    return [`${label} is installed but "${tool.version.join(' ')}" failed: ${result.output.trim() || 'no output'}; ${install}`];
  if (!atLeast(version, parseVersion(tool.minimum)!)) {
    return [`${label} ${version.join('.')} is too old: need ${tool.minimum} or newer; ${install}`];
  }
  const notReady = tool.ready?.();
  return notReady ? [notReady] : [];
}

const USAGE = `usage: node scripts/check-tools.ts TOOL...   (tools: ${Object.keys(tools).join(', ')})

Checks each tool is installed, new enough and ready (Docker's daemon running), and says what
to install when not. Exits 1 listing every problem. --help: this text.`;

// Run as a script (not imported by the tests). import.meta.main would say so, but only from
// Node 24.2; bootstrap accepts any 24.x, so compare paths instead.
/** Podman 4 is the oldest kind's Podman provider is tested with (https://kind.sigs.k8s.io/docs/user/rootless/). */
export const PODMAN_MINIMUM = '4.0.0';

/** `docker` is Podman (the podman-docker shim, or an alias): what kind needs to run on it. */
function checkPodman(versionOutput: string, env: NodeJS.ProcessEnv): string[] {
  const version = parseVersion(versionOutput);
  if (version && !atLeast(version, parseVersion(PODMAN_MINIMUM)!)) {
    return [`docker is Podman ${version.join('.')} (podman-docker), too old for kind: need Podman ${PODMAN_MINIMUM} or newer`];
  }
  const problems: string[] = [];
  if (env.KIND_EXPERIMENTAL_PROVIDER !== 'podman') {
    problems.push(
      `docker is Podman ${version?.join('.') ?? ''} (podman-docker): kind needs to be told; run KIND_EXPERIMENTAL_PROVIDER=podman make kind-up (or export it)`,
    );
  }
  const info = run(['docker', 'info', '--format', '{{.Host.Security.Rootless}}']);
  if (!info.ok) problems.push(`Podman is installed but "podman info" failed: ${info.output.trim() || 'no output'}`);
  else if (info.output.trim().split('\n').at(-1) === 'true') {
    // Rootless kind nodes need cgroup v2 with cpu, memory and pids delegated to the user.
    const delegated = run(['sh', '-c', 'cat "/sys/fs/cgroup/user.slice/user-$(id -u).slice/user@$(id -u).service/cgroup.controllers"']);
    const missing = ['cpu', 'memory', 'pids'].filter((controller) => !delegated.output.split(/\s+/).includes(controller));
    if (delegated.ok && missing.length > 0) {
      problems.push(
        `rootless Podman: the cgroup controllers ${missing.join(', ')} are not delegated to your user, which kind's nodes need: see https://kind.sigs.k8s.io/docs/user/rootless/ (systemd Delegate=yes)`,
      );
    }
  }
  return problems;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const names = process.argv.slice(2);
  if (names.includes('--help') || names.includes('-h')) {
    console.log(USAGE);
    process.exit(0);
  }
  const flag = names.find((name) => name.startsWith('-'));
  if (names.length === 0 || flag) {
    console.error(`${flag ? `check-tools: unknown option ${flag}\n` : ''}${USAGE}`);
    process.exit(2);
  }
  const platform = detectPlatform();
  const problems = names.flatMap((name) => checkTool(name, platform));
  for (const problem of problems) console.error(`check-tools: ${problem}`);
  if (problems.length === 0) console.error(`check-tools: ${names.join(', ')}: ok`);
  process.exitCode = problems.length === 0 ? 0 : 1;
}
