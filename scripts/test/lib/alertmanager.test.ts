// scripts/local/alertmanager.yaml, the local stack's routing as data, checked and routed by the
// real amtool (make bootstrap-prometheus installs it): critical to page, warning to ticket,
// grouped by alertname and slo, the page inhibiting the ticket of the same SLO.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { alertmanagerConfigFor, LOCAL_ALERTMANAGER_CONFIG } from '../../lib/alertmanager.ts';
import { withTempDir } from '../../lib/temp-dir.ts';

const run = promisify(execFile);
const amtool = (args: string[]) => run('amtool', args, { timeout: 30_000 }).then(({ stdout }) => stdout.trim());

describe('local Alertmanager configuration', function () {
  this.timeout(30_000);

  it('sends every webhook to the given receiver, keeping the path that names the receiver', async function () {
    const config = parse(await alertmanagerConfigFor('http://127.0.0.1:41234')) as {
      receivers: { name: string; webhook_configs: { url: string }[] }[];
    };
    expect(config.receivers.map((r) => [r.name, r.webhook_configs.map((w) => w.url)])).to.deep.equal([
      ['page', ['http://127.0.0.1:41234/page']],
      ['ticket', ['http://127.0.0.1:41234/ticket']],
    ]);
  });

  it('passes amtool check-config', async function () {
    await withTempDir('redline-am-', async (dir) => {
      const file = join(dir, 'alertmanager.yml');
      await writeFile(file, await alertmanagerConfigFor('http://127.0.0.1:9095'));
      expect(await amtool(['check-config', file])).to.match(/SUCCESS/);
    });
  });

  it('routes critical to page and warning to ticket (amtool config routes test)', async function () {
    const route = (labels: string[]) => amtool(['config', 'routes', 'test', `--config.file=${LOCAL_ALERTMANAGER_CONFIG}`, ...labels]);
    expect(await route(['alertname=RedlineAvailabilityErrorBudgetBurn', 'severity=critical', 'slo=availability'])).to.equal('page');
    expect(await route(['alertname=RedlineAvailabilityErrorBudgetBurn', 'severity=warning', 'slo=availability'])).to.equal('ticket');
    expect(await route(['alertname=Other', 'severity=info'])).to.equal('ticket');
  });

  it('groups by alertname and slo, and a page inhibits the ticket of the same namespace, job and SLO', async function () {
    const config = parse(await readFile(LOCAL_ALERTMANAGER_CONFIG, 'utf8')) as {
      route: { group_by: string[] };
      inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[];
    };
    expect(config.route.group_by).to.deep.equal(['alertname', 'slo']);
    expect(config.inhibit_rules).to.deep.equal([
      { source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ['namespace', 'job', 'slo'] },
    ]);
  });
});
