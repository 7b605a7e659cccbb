// Checks, before `make kind-up` or `make compose-up` touches anything, that the tools it runs
// are installed and new enough, and says what to install when they are not. Reports every
// problem at once. Usage: node scripts/check-tools.ts docker kind kubectl helm [compose]
import { spawnSync } from 'node:child_process';

interface Tool {
  /** Command and arguments that print the version. */
  version: string[];
  /** The first x.y.z in this output is the version. */
  minimum: string;
  install: string;
  /** Extra check once the version is fine (e.g. Docker's daemon is running). */
  ready?: () => string | undefined;
}

const tools: Record<string, Tool> = {
  docker: {
    version: ['docker', '--version'],
    minimum: '24.0.0',
    install: 'install Docker Engine or Docker Desktop: https://docs.docker.com/get-docker/',
    ready: () => (run(['docker', 'info', '--format', '{{.ServerVersion}}']).ok
      ? undefined
      : 'docker is installed but its daemon is not reachable: start Docker (or check DOCKER_HOST) and retry'),
  },
  compose: {
    version: ['docker', 'compose', 'version', '--short'],
    minimum: '2.20.0',
    install: 'install the Docker Compose plugin (v2): https://docs.docker.com/compose/install/',
  },
  kind: {
    version: ['kind', 'version'],
    // kind-config.yaml pins the node image that kind v0.32.0 was released with.
    minimum: '0.32.0',
    install: 'install kind: https://kind.sigs.k8s.io/docs/user/quick-start/#installation',
  },
  kubectl: {
    version: ['kubectl', 'version', '--client'],
    minimum: '1.33.0',
    install: 'install kubectl: https://kubernetes.io/docs/tasks/tools/ (or run make bootstrap, which puts one in .tools/bin)',
  },
  helm: {
    version: ['helm', 'version', '--short'],
    minimum: '3.16.0',
    install: 'install Helm: https://helm.sh/docs/intro/install/ (or run make bootstrap, which puts one in .tools/bin)',
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
export function checkTool(name: string): string[] {
  const tool = tools[name];
  if (!tool) return [`unknown tool "${name}" (known: ${Object.keys(tools).join(', ')})`];
  const result = run(tool.version);
  const label = name === 'compose' ? 'docker compose' : name;
  if (result.missing || (name === 'compose' && !result.ok)) return [`${label} is missing: ${tool.install}`];
  const version = parseVersion(result.output);
  if (!result.ok || !version) return [`${label} is installed but "${tool.version.join(' ')}" failed: ${result.output.trim() || 'no output'}; ${tool.install}`];
  if (!atLeast(version, parseVersion(tool.minimum)!)) {
    return [`${label} ${version.join('.')} is too old: need ${tool.minimum} or newer; ${tool.install}`];
  }
  const notReady = tool.ready?.();
  return notReady ? [notReady] : [];
}

if (import.meta.main) {
  const names = process.argv.slice(2);
  const problems = names.flatMap(checkTool);
  for (const problem of problems) console.error(`check-tools: ${problem}`);
  if (problems.length === 0) console.error(`check-tools: ${names.join(', ')}: ok`);
  process.exitCode = problems.length === 0 ? 0 : 1;
}
