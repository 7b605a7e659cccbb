// The generated dashboard (Grafana Foundation SDK): committed JSON up to date, shipped unchanged
// in the chart's ConfigMap (the native variant with metrics.nativeHistograms), and every panel
// with a unit, a description and the dashboard's variables.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DASHBOARD_FILES } from '../../../dashboards/build.ts';
import { redlineDashboard, renderDashboard } from '../../../dashboards/redline.ts';
import { helmTemplate } from '../../../scripts/lib/helm.ts';
import { renderRuleGroups } from '../../../scripts/lib/rules.ts';
import { contentPanels, panelQueries, promTargets, rows, variables, type Dashboard } from '../../../test/support/chart/dashboard.ts';
import { get } from '../../../test/support/chart/manifests.ts';
import { VALUES_DIR } from '../../../test/support/chart/values.ts';

const BUILD = fileURLToPath(new URL('../../../dashboards/build.ts', import.meta.url));

describe('dashboard: generated from dashboards/redline.ts', () => {
  it('the committed charts/redline/dashboards/redline{,-native}.json are up to date (run `make dashboard`)', async () => {
    for (const { file, options } of DASHBOARD_FILES) expect(await readFile(file, 'utf8'), file).to.equal(renderDashboard(options));
    const check = spawnSync(process.execPath, [BUILD, '--check'], { encoding: 'utf8' });
    expect(check.status, check.stderr).to.equal(0);
  });

  for (const nativeHistograms of [false, true]) {
    it(`the chart ships exactly the ${nativeHistograms ? 'native' : 'classic'} JSON in a ConfigMap with the Grafana sidecar label (metrics.nativeHistograms=${nativeHistograms})`, async () => {
      const configMap = get(await helmTemplate({ values: { metrics: { nativeHistograms } } }), 'ConfigMap', 'redline-dashboard');
      expect(configMap.metadata.labels).to.include({ grafana_dashboard: '1' });
      const data = (configMap as unknown as { data: Record<string, string> }).data;
      expect(Object.keys(data)).to.deep.equal(['redline.json']);
      expect(`${data['redline.json']}\n`).to.equal(renderDashboard({ nativeHistograms }));
    });
  }

  it('both variants send the same queries (the rules pick the histogram) but for the exemplar panel; only the duration panels say which they read', () => {
    const classic = redlineDashboard();
    const native = redlineDashboard({ nativeHistograms: true });
    // Exemplars live on the scraped histogram only, so that one panel reads the histogram each variant has.
    const exemplarPanel = 'Traces behind the latency (exemplars)';
    const recorded = (d: Dashboard) => panelQueries(d).filter((q) => q.panel !== exemplarPanel);
    expect(recorded(native)).to.deep.equal(recorded(classic));
    expect(panelQueries(classic).find((q) => q.panel === exemplarPanel)?.expr).to.include('http_request_duration_seconds_bucket{');
    expect(panelQueries(native).find((q) => q.panel === exemplarPanel)?.expr)
      .to.include('http_request_duration_seconds{')
      .and.not.include('_bucket');
    const describe = (d: Dashboard) => new Map(contentPanels(d).map((p) => [p.title, p.description]));
    const [classicText, nativeText] = [describe(classic), describe(native)];
    const differ = [...classicText.keys()].filter((title) => classicText.get(title) !== nativeText.get(title));
    expect(differ).to.deep.equal(['Duration p50 by route', 'Duration p95 by route', 'Duration p99 by route', exemplarPanel]);
    for (const title of differ) expect(nativeText.get(title)).to.include('native');
  });

  it('targets the dashboard schema of the Grafana that kube-prometheus-stack 88.5.3 ships (13.x: schemaVersion 42)', () => {
    expect(redlineDashboard().schemaVersion).to.equal(42);
  });
});

for (const nativeHistograms of [false, true])
  describe(`dashboard (${nativeHistograms ? 'native' : 'classic'} histograms): panels, variables, queries`, () => {
    const dashboard: Dashboard = redlineDashboard({ nativeHistograms });

    it('has datasource, namespace, job and route variables, chained', () => {
      const vars = variables(dashboard);
      expect(vars.map((v) => v.name)).to.deep.equal(['datasource', 'namespace', 'job', 'route']);
      expect(vars[0]).to.include({ type: 'datasource', query: 'prometheus' });
      const definition = (name: string) => vars.find((v) => v.name === name)?.definition ?? '';
      expect(definition('job')).to.include('namespace="$namespace"');
      expect(definition('route')).to.include('namespace="$namespace", job="$job"');
      expect(vars.find((v) => v.name === 'route')).to.include({ multi: true, includeAll: true });
    });

    it('has the RED, SLO, saturation and traces rows', () => {
      const rowTitles = rows(dashboard).map((p) => p.title);
      expect(rowTitles).to.have.length(4);
      expect(rowTitles[0]).to.match(/^RED/);
      expect(rowTitles[1]).to.match(/^SLO/);
      expect(rowTitles[2]).to.match(/^Saturation/);
      expect(rowTitles[3]).to.equal('Traces');
      const titles = contentPanels(dashboard).map((p) => p.title ?? '');
      for (const title of [
        'Request rate by route',
        'Error ratio by route',
        'Duration p50 by route',
        'Duration p95 by route',
        'Duration p99 by route',
        'Error budget remaining',
        'In-flight requests',
        'Event loop lag p99',
        'Memory',
        'CPU',
      ]) {
        expect(titles).to.include(title);
      }
      expect(titles.filter((t) => /^Burn rate/.test(t))).to.have.length(2);
    });

    it('gives every panel a unit, a description and the datasource variable', () => {
      for (const panel of contentPanels(dashboard)) {
        expect(panel.fieldConfig?.defaults.unit, `${panel.title} unit`).to.be.a('string').and.not.be.empty;
        expect(panel.description, `${panel.title} description`).to.be.a('string').with.length.above(20);
        expect(panel.datasource).to.deep.equal({ type: 'prometheus', uid: '${datasource}' });
        for (const target of promTargets(panel)) expect(target.datasource?.uid).to.equal('${datasource}');
      }
    });

    it('uses $__rate_interval in every rate(), selects $namespace and $job everywhere, never matches le by string', () => {
      for (const query of panelQueries(dashboard)) {
        const where = `${query.panel} ${query.refId}`;
        for (const range of query.expr.matchAll(/\[([^\]]+)\]/g)) expect(range[1], where).to.equal('$__rate_interval');
        expect(query.expr, where).to.include('namespace="$namespace", job="$job"');
        expect(query.expr, where).to.not.match(/\ble\s*(=|!=)\s*"/);
      }
    });

    it('lays panels out on the 24-column grid without overlaps, with unique ids', () => {
      const cells = new Set<string>();
      const ids = new Set<number>();
      for (const panel of dashboard.panels ?? []) {
        expect(panel.id, panel.title).to.be.a('number');
        expect(ids.has(panel.id!)).to.equal(false);
        ids.add(panel.id!);
        const { x, y, w, h } = panel.gridPos!;
        expect(x + w, panel.title).to.be.at.most(24);
        for (let i = x; i < x + w; i++) {
          for (let j = y; j < y + h; j++) {
            expect(cells.has(`${i},${j}`), `${panel.title} overlaps at ${i},${j}`).to.equal(false);
            cells.add(`${i},${j}`);
          }
        }
      }
    });

    for (const set of [
      { name: 'default', files: [] },
      { name: 'custom SLOs (other burn-rate windows)', files: [join(VALUES_DIR, 'slo-custom.yaml')] },
      { name: 'other RED windows and quantiles', files: [join(VALUES_DIR, 'red-custom.yaml')] },
    ]) {
      it(`reads only recording rules that the chart records (values: ${set.name})`, async () => {
        const recorded = new Set(
          (await renderRuleGroups({ valuesFiles: set.files, values: { metrics: { nativeHistograms } } }))
            .flatMap((g) => g.rules)
            .map((r) => r.record)
            .filter(Boolean),
        );
        const used = new Set(
          panelQueries(dashboard).flatMap((q) => [...q.expr.matchAll(/\b[a-z_]+:[a-z_]+:[a-z0-9_]+/g)].map((m) => m[0])),
        );
        expect(used.size).to.be.greaterThan(3);
        for (const name of used) expect(recorded.has(name), name).to.equal(true);
      });
    }
  });
