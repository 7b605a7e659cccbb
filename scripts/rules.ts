// The chart's PrometheusRule as a plain Prometheus rule file (scripts/lib/rules.ts renders it).
//   node scripts/rules.ts [--out FILE] [--namespace local] [--release redline] [--values FILE]...
// The defaults select namespace="local", job="redline": the static labels of the local stack.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_RULE_FILE, writeRuleFile } from './lib/rules.ts';

const USAGE = `usage: node scripts/rules.ts [--out FILE] [--namespace NAME] [--release NAME] [--values FILE]...

Renders the chart's PrometheusRule (helm template) as a plain Prometheus rule file.
  --out FILE         where to write it (default .local/redline.rules.yml)
  --namespace NAME   namespace label the rules select (default local)
  --release NAME     release name, the job label (default redline)
  --values FILE      extra chart values files, as helm -f (repeatable)
  --help             this text`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: DEFAULT_RULE_FILE },
      namespace: { type: 'string', default: 'local' },
      release: { type: 'string', default: 'redline' },
      values: { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
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
  const usage = (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? `\n${USAGE}` : '';
  console.error(`rules: ${(error as Error).message}${usage}`);
  process.exitCode = usage ? 2 : 1;
});
