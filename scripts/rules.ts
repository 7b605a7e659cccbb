// The chart's PrometheusRule as a plain Prometheus rule file (scripts/lib/rules.ts renders it).
//   node scripts/rules.ts [--out FILE] [--namespace local] [--release redline] [--values FILE]...
// The defaults select namespace="local", job="redline": the static labels of the local stack.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_RULE_FILE, writeRuleFile } from './lib/rules.ts';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: DEFAULT_RULE_FILE },
      namespace: { type: 'string', default: 'local' },
      release: { type: 'string', default: 'redline' },
      values: { type: 'string', multiple: true, default: [] },
    },
  });
  const out = resolve(values.out);
  const groups = await writeRuleFile(out, {
    namespace: values.namespace,
    release: values.release,
    valuesFiles: values.values.map((file) => resolve(file)),
  });
  const count = groups.reduce((n, group) => n + group.rules.length, 0);
  console.log(`wrote ${count} rules in ${groups.length} groups to ${out}`);
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exitCode = 1;
});
