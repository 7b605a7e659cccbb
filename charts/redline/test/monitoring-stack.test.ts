// The chart and the Prometheus that scrapes it: `make deploy` with another KPS_NAMESPACE
// (the real make -n, its helm arguments rendered by the real helm) admits that namespace
// through the NetworkPolicy and points NOTES there; and NOTES prints kube-prometheus-stack
// commands only when the values say the stack is there.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { helmInstallDryRun, helmTemplate } from '../../../scripts/lib/helm.ts';
import { repoRoot } from '../../../scripts/lib/paths.ts';
import { get, spec } from '../../../test/support/chart/manifests.ts';

const run = promisify(execFile);

/** The chart arguments (-f, --set-string) of the helm upgrade that `make -n deploy` prints. */
async function deployArgs(variables: string[]): Promise<string[]> {
  const { stdout } = await run('make', ['--no-print-directory', '-n', 'deploy', ...variables], { cwd: repoRoot, timeout: 60_000 });
  const command = stdout.replace(/\\\n/g, ' ');
  const line = command.split('\n').find((l) => l.includes('helm upgrade --install'));
  expect(line, `helm upgrade in:\n${stdout}`).to.not.equal(undefined);
  const words = line!.slice(line!.indexOf('helm upgrade')).trim().split(/\s+/);
  const args: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const [flag, value] = [words[i]!, words[i + 1]];
    // The image id comes from docker at run time ($image_id): not part of what is checked.
    if ((flag === '-f' || flag === '--set-string') && value && !value.includes('$')) args.push(flag, value);
  }
  return args;
}

const notesOf = (output: string) => output.slice(output.indexOf('NOTES:'));

/** The same arguments as values files and inline values (what helmInstallDryRun takes). */
function asValues(args: string[]): { valuesFiles: string[]; values: Record<string, unknown> } {
  const valuesFiles: string[] = [];
  const values: Record<string, unknown> = {};
  for (let i = 0; i < args.length; i += 2) {
    if (args[i] === '-f') {
      valuesFiles.push(join(repoRoot, args[i + 1]!));
      continue;
    }
    const [path, value] = args[i + 1]!.split('=') as [string, string];
    const keys = path.split('.');
    let node = values;
    for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
    node[keys.at(-1)!] = value;
  }
  return { valuesFiles, values };
}

describe('chart: the monitoring stack it is installed next to', function () {
  this.timeout(60_000);

  describe('make deploy with KPS_NAMESPACE=observability', () => {
    let args: string[];
    before(async () => {
      args = await deployArgs(['KPS_NAMESPACE=observability', 'KPS_RELEASE=obs']);
    });

    it('passes the namespace to the chart', () => {
      expect(args).to.include.members(['monitoring.stackNamespace=observability', 'monitoring.selectorLabels.release=obs']);
    });

    it('the NetworkPolicy admits Prometheus from that namespace, not from monitoring', async () => {
      const manifests = await helmTemplate({ release: 'redline', namespace: 'redline', extraArgs: args });
      const from = spec<{ ingress: { from: object[] }[] }>(get(manifests, 'NetworkPolicy')).ingress[0]!.from;
      expect(from).to.deep.include({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } } });
      expect(JSON.stringify(from)).to.not.include('"monitoring"');
    });

    it('NOTES port-forward to Prometheus and Grafana in that namespace', async () => {
      const notes = notesOf(await helmInstallDryRun({ release: 'redline', namespace: 'redline', ...asValues(args) }));
      expect(notes).to.include('kubectl -n observability port-forward svc/obs-kube-prometheus-stack-prometheus 9090');
      expect(notes).to.include('kubectl -n observability port-forward svc/obs-grafana 3000:80');
      expect(notes).to.not.include('-n monitoring');
    });

    it('the default KPS_NAMESPACE keeps monitoring', async () => {
      expect(await deployArgs([])).to.include('monitoring.stackNamespace=monitoring');
    });
  });

  describe('NOTES without kube-prometheus-stack', () => {
    it('a plain Prometheus Operator (no release label): operator commands, no kube-prometheus-stack Service', async () => {
      const notes = notesOf(
        await helmInstallDryRun({
          namespace: 'shop',
          values: { monitoring: { selectorLabels: { release: null, prometheus: 'main' } } },
        }),
      );
      expect(notes).to.include('kubectl get prometheus -A');
      expect(notes).to.include('{"prometheus":"main"}');
      expect(notes).to.not.match(/port-forward svc\/(?!redline)/);
      expect(notes).to.not.match(/-l app=kube-prometheus-stack|kube-prometheus-stack-grafana/);
    });

    it('no operator objects at all: how to scrape and load the rules yourself, nothing about a stack', async () => {
      const notes = notesOf(
        await helmInstallDryRun({
          namespace: 'shop',
          values: { serviceMonitor: { enabled: false }, prometheusRule: { enabled: false }, dashboard: { enabled: false } },
        }),
      );
      expect(notes).to.include('Scrape port http of Service redline at /metrics yourself');
      expect(notes).to.not.match(/kube-prometheus-stack|port-forward svc\/(?!redline)|Grafana/);
    });

    it('with metrics.port, NOTES forward and curl /metrics on that port', async () => {
      const notes = notesOf(await helmInstallDryRun({ namespace: 'shop', values: { metrics: { port: 9100 } } }));
      expect(notes).to.include('kubectl -n shop port-forward svc/redline 8080:8080 9464:9100');
      expect(notes).to.include('curl -s http://127.0.0.1:9464/metrics');
    });
  });
});
