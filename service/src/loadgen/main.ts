// The load generator's command line: `node service/src/loadgen/main.ts --help`.
import { type LoadOptions, loadOptions, USAGE } from './options.ts';
import { runLoad } from './runner.ts';

let options: LoadOptions;
try {
  if (process.argv.includes('--help')) {
    console.log(USAGE);
    process.exit(0);
  }
  options = loadOptions(process.argv.slice(2), process.env);
} catch (error) {
  console.error(`loadgen: ${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}

const stop = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stop.abort());

const log = (fields: Record<string, unknown>) =>
  console.log(JSON.stringify({ time: new Date().toISOString(), service: 'redline-loadgen', ...fields }));
log({ msg: 'starting', target: options.target, rate: options.rate, durationMs: options.durationMs });
const report = await runLoad(options, stop.signal, { everyMs: 60_000, report: (current) => log({ msg: 'progress', ...current }) });
if (options.json) console.log(JSON.stringify(report));
else log({ msg: 'finished', ...report });
process.exit(0);
