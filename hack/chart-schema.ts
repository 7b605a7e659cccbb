// Writes the generated part of charts/redline/values.schema.json (simulation.env, from
// service/src/simulation/env-spec.ts), or with --check fails when the committed file differs.
//   node hack/chart-schema.ts [--check] [--schema FILE]
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { repoRoot } from '../scripts/lib/paths.ts';
import { withSimulationEnv } from './simulation-schema.ts';

const { values: args } = parseArgs({
  options: {
    check: { type: 'boolean', default: false },
    schema: { type: 'string', default: join(repoRoot, 'charts/redline/values.schema.json') },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log('usage: node hack/chart-schema.ts [--check] [--schema FILE]');
  process.exit(0);
}

const committed = JSON.parse(await readFile(args.schema, 'utf8')) as Record<string, unknown>;
const generated = withSimulationEnv(committed);
if (args.check) {
  // Compared as data, so formatting (Biome) never counts as drift.
  if (!isDeepStrictEqual(committed, generated)) {
    console.error(
      `chart-schema: ${args.schema} simulation.env differs from service/src/simulation/env-spec.ts; run node hack/chart-schema.ts`,
    );
    process.exit(1);
  }
  console.log(`chart-schema: ${args.schema} is up to date`);
} else {
  await writeFile(args.schema, `${JSON.stringify(generated, null, 2)}\n`);
  console.log(`chart-schema: wrote ${args.schema}`);
}
