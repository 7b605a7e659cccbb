// The redline rule file for the local Prometheus. TEMPORARY fixture until the chart's
// scripts/rules.ts lands; then this uses its output.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const fixture = `groups:
  - name: redline.red
    rules:
      - record: namespace_job_route:http_requests:rate5m
        expr: sum by (namespace, job, route) (rate(http_requests_total[5m]))
      - alert: RedlineTargetDown
        expr: up{job="redline"} == 0
        for: 5m
`;

export async function redlineRuleFile(): Promise<{ file: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'redline-rules-'));
  const file = join(dir, 'redline.rules.yaml');
  await writeFile(file, fixture);
  return { file, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
