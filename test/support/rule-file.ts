// The chart's rules as a plain Prometheus rule file (scripts/rules.ts renders the chart's
// PrometheusRule with helm template), in a temporary folder, for the tests' real Prometheus.
import { join } from 'node:path';
import { makeTempDir } from '../../scripts/lib/temp-dir.ts';
import { writeRuleFile } from '../../scripts/lib/rules.ts';

/** Rules for namespace="local", job="redline": the labels the local Prometheus gives redline. */
export async function redlineRuleFile(valuesFiles: string[] = []): Promise<{ file: string; cleanup(): Promise<void> }> {
  const { dir, remove } = await makeTempDir('redline-rules-');
  const file = join(dir, 'redline.rules.yml');
  await writeRuleFile(file, { namespace: 'local', release: 'redline', valuesFiles });
  return { file, cleanup: remove };
}
