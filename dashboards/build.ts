// Writes the generated dashboard JSON where the chart (and compose) read it: the classic
// variant and the native-histogram variant (the chart picks one by metrics.nativeHistograms).
//   node dashboards/build.ts          write charts/redline/dashboards/redline{,-native}.json
//   node dashboards/build.ts --check  exit 1 when a committed file is stale
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { renderDashboard, type DashboardOptions } from './redline.ts';

const dashboardFile = (name: string) => fileURLToPath(new URL(`../charts/redline/dashboards/${name}`, import.meta.url));

export const DASHBOARD_FILE = dashboardFile('redline.json');
export const NATIVE_DASHBOARD_FILE = dashboardFile('redline-native.json');

export const DASHBOARD_FILES: { file: string; options: DashboardOptions }[] = [
  { file: DASHBOARD_FILE, options: {} },
  { file: NATIVE_DASHBOARD_FILE, options: { nativeHistograms: true } },
];

async function main(argv: string[]): Promise<number> {
  let stale = 0;
  for (const { file, options } of DASHBOARD_FILES) {
    const wanted = renderDashboard(options);
    const current = await readFile(file, 'utf8').catch(() => '');
    if (argv.includes('--check')) {
      if (current !== wanted) {
        console.error(`${file} is stale: run \`make dashboard\` and commit it`);
        stale++;
      }
      continue;
    }
    if (current !== wanted) await writeFile(file, wanted);
    console.log(`${current === wanted ? 'unchanged' : 'wrote'} ${file}`);
  }
  return stale === 0 ? 0 : 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
