// docs/install.md: the two helm install commands, run as `helm template` on the chart (real
// helm), give what the text promises: with kube-prometheus-stack the monitoring objects carry
// the selector label; without it, no Prometheus Operator kind at all.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../../scripts/lib/paths.ts';

const run = promisify(execFile);

interface Manifest {
  kind: string;
  apiVersion: string;
  metadata: { labels?: Record<string, string> };
}

async function installCommands(): Promise<string[][]> {
  const section = await readFile(join(repoRoot, 'docs/install.md'), 'utf8');
  return [...section.matchAll(/^helm install ((?:.*\\\n)*.*)$/gm)].map((m) =>
    m[1]!
      .replace(/\\\n\s*/g, ' ')
      .trim()
      .split(/\s+/),
  );
}

async function render(args: string[]): Promise<Manifest[]> {
  // The published chart reference becomes the local chart; every flag is kept as written.
  const [release, chart, ...flags] = args;
  expect(chart).to.match(/^oci:\/\/ghcr\.io\/[\w-]+\/charts\/redline$/);
  const withoutVersion = flags.filter((f, i) => f !== '--version' && flags[i - 1] !== '--version');
  const { stdout } = await run('helm', ['template', release!, join(repoRoot, 'charts/redline'), ...withoutVersion], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return parseAllDocuments(stdout)
    .map((d) => d.toJS() as Manifest)
    .filter(Boolean);
}

describe('README Install commands (real helm template)', function () {
  let commands: string[][];
  before(async function () {
    commands = await installCommands();
  });

  it('has one command with kube-prometheus-stack and one without', function () {
    expect(commands).to.have.length(2);
    for (const command of commands) expect(command.slice(2)).to.include.members(['--version', 'VERSION', '--namespace', 'redline']);
  });

  it('with kube-prometheus-stack: ServiceMonitor and PrometheusRule labelled for its selector, dashboard for its sidecar', async function () {
    const manifests = await render(commands[0]!);
    const selector = commands[0]!.join(' ').match(/monitoring\.selectorLabels\.release=(\S+)/)?.[1];
    expect(selector).to.be.a('string');
    for (const kind of ['ServiceMonitor', 'PrometheusRule']) {
      const object = manifests.find((m) => m.kind === kind);
      expect(object?.metadata.labels, kind).to.include({ release: selector });
    }
    expect(manifests.some((m) => m.kind === 'ConfigMap' && m.metadata.labels?.grafana_dashboard === '1')).to.equal(true);
  });

  it('without it: no monitoring.coreos.com object, so no CRDs are needed; the Deployment and Service remain', async function () {
    const manifests = await render(commands[1]!);
    expect(manifests.filter((m) => m.apiVersion.startsWith('monitoring.coreos.com/')).map((m) => m.kind)).to.deep.equal([]);
    expect(manifests.map((m) => m.kind)).to.include.members(['Deployment', 'Service']);
  });
});
