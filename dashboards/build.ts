// Writes the generated dashboard JSON where the chart (and the local stack) read it.
//   node dashboards/build.ts          write charts/redline/dashboards/redline.json
//   node dashboards/build.ts --check  exit 1 when the committed file is stale
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { renderDashboard } from './redline.ts';

export const DASHBOARD_FILE = fileURLToPath(new URL('../charts/redline/dashboards/redline.json', import.meta.url));

async function main(argv: string[]): Promise<number> {
  const wanted = renderDashboard();
  const current = await readFile(DASHBOARD_FILE, 'utf8').catch(() => '');
  if (argv.includes('--check')) {
    if (current === wanted) return 0;
    console.error(`${DASHBOARD_FILE} is stale: run \`make dashboard\` and commit it`);
    return 1;
  }
  if (current !== wanted) await writeFile(DASHBOARD_FILE, wanted);
  console.log(`${current === wanted ? 'unchanged' : 'wrote'} ${DASHBOARD_FILE}`);
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
