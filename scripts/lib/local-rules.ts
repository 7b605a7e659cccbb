// The recording and alerting rules the local stack loads: the chart's PrometheusRule groups,
// rendered by the chart's own tooling when it is present.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export async function localRuleFiles(stateDir: string): Promise<string[]> {
  const renderer = fileURLToPath(new URL('../rules.ts', import.meta.url));
  if (!existsSync(renderer)) return [];
  const { writeRuleFile } = (await import(renderer)) as { writeRuleFile: (path: string) => Promise<void> };
  const file = join(stateDir, 'rules.yaml');
  await writeRuleFile(file);
  return [file];
}
