// The load generator's command line: `node service/src/loadgen/main.ts --help`.
import { type LoadOptions, loadOptions, USAGE } from './options.ts';
import { type LoadReport, runLoad } from './runner.ts';

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

// With --json stdout carries the summary alone; the log lines go to stderr.
const out = options.json ? process.stderr : process.stdout;
const log = (fields: Record<string, unknown>) =>
  out.write(`${JSON.stringify({ time: new Date().toISOString(), service: 'redline-loadgen', ...fields })}\n`);
log({ msg: 'starting', target: options.target, rate: options.rate, durationMs: options.durationMs });
const progress =
  options.progressMs > 0
    ? {
        everyMs: options.progressMs,
        report: ({ durationMs, sent, ok, failed, unanswered, skipped, latencyMs }: LoadReport) =>
          log({ msg: 'progress', durationMs, sent, ok, failed, unanswered, skipped, latencyMs }),
      }
    : undefined;
const report = await runLoad(options, stop.signal, progress);
if (options.json) console.log(JSON.stringify(report));
else log({ msg: 'finished', ...report });
process.exit(0);
