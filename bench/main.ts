// `make bench`: every benchmark scenario in one bounded run, then the results table with
// each target marked met or not. BENCH_QUICK=1 shrinks everything to a smoke run.
// Options (environment): BENCH_SCENARIOS=overhead,render,render-compare,scrape,stall,prometheus,memory,attack,cache
//   BENCH_ROUNDS (paired rounds, default 40), BENCH_OVERHEAD_SUBJECTS (the overhead servers to
//   start, comma-separated, default all: bench/scenarios/overhead.ts), BENCH_ATTACK_REQUESTS (default 1000000),
//   BENCH_SCRAPE_SERIES (series held by the scraped servers, a list, default 10000,100000),
//   BENCH_SCRAPE_FORMAT (text and/or protobuf, a list, default text,protobuf),
//   BENCH_SCRAPE_PRERENDERED=1 (the control: scrape the same text bytes rendered once at start),
//   BENCH_PROMETHEUS_SERIES (series of the service a real Prometheus 3 scrapes, default 100000),
//   BENCH_BASE (render-compare: the git ref whose metrics package the render CPU is compared
//   with, default 5e82f84, the whole-payload renderer of issue 21),
//   BENCH_OUT (also write the markdown report to this file),
//   BENCH_RESULTS_DIR (default .local/bench: results.json and the SVG plots of bench/plots.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machineReport } from './lib/machine.ts';
import { writePlots } from './plots.ts';
import { report, type Results } from './report.ts';
import { attack } from './scenarios/attack.ts';
import { cache } from './scenarios/cache.ts';
import { overhead } from './scenarios/overhead.ts';
import { render } from './scenarios/render.ts';
import { renderCompare } from './scenarios/render-compare.ts';
import { memory } from './scenarios/memory.ts';
import { prometheusScrape } from './scenarios/prometheus-scrape.ts';
import { scrape } from './scenarios/scrape.ts';
import { stall } from './scenarios/stall.ts';

const quick = process.env.BENCH_QUICK === '1';
const number = (name: string, normal: number, short: number) => Number(process.env[name] ?? (quick ? short : normal));
const scenarios = new Set(
  (process.env.BENCH_SCENARIOS ?? 'overhead,render,render-compare,scrape,stall,prometheus,memory,attack').split(',').map((s) => s.trim()),
);
const rounds = number('BENCH_ROUNDS', 40, 2);
const log = (line: string) => process.stderr.write(`${line}\n`);

const header = machineReport();
for (const line of header) log(line);
const started = Date.now();
const results: Results = { quick, rounds };

if (scenarios.has('overhead')) {
  const only = process.env.BENCH_OVERHEAD_SUBJECTS?.split(',').map((s) => s.trim());
  results.overhead = await overhead({
    rounds,
    burstSeconds: 1,
    warmupSeconds: quick ? 1 : 3,
    connections: 16,
    log,
    ...(only ? { only } : {}),
  });
}
if (scenarios.has('cache')) {
  results.cache = await cache({ rounds, burstSeconds: 1, warmupSeconds: quick ? 1 : 3, connections: 16, log });
}
if (scenarios.has('render')) {
  results.render = await render(quick ? [1_000, 10_000] : [1_000, 10_000, 100_000], quick ? 3 : 15, log);
}
if (scenarios.has('render-compare')) {
  results.renderCompare = await renderCompare(
    process.env.BENCH_BASE ?? '5e82f84',
    quick ? [10_000] : [10_000, 100_000],
    ['text', 'protobuf'],
    rounds,
    log,
  );
}
if (scenarios.has('scrape')) {
  // Every size and format asked for (lists: BENCH_SCRAPE_SERIES=10000,100000 BENCH_SCRAPE_FORMAT=text,protobuf).
  const sizes = (process.env.BENCH_SCRAPE_SERIES ?? (quick ? '10000' : '10000,100000')).split(',').map(Number);
  const formats = (process.env.BENCH_SCRAPE_FORMAT ?? 'text,protobuf')
    .split(',')
    .map((f) => (f.trim() === 'protobuf' ? 'protobuf' : 'text'));
  const prerendered = process.env.BENCH_SCRAPE_PRERENDERED === '1';
  results.scrape = [];
  for (const series of sizes)
    for (const format of formats)
      results.scrape.push(await scrape({ series, format, prerendered, rounds, burstSeconds: quick ? 1 : 4, rate: 500, log }));
}
if (scenarios.has('stall')) {
  results.stall = await stall(quick ? [10_000] : [10_000, 100_000], quick ? 3 : rounds, log);
}
if (scenarios.has('prometheus')) {
  results.prometheus = await prometheusScrape(number('BENCH_PROMETHEUS_SERIES', 100_000, 10_000), quick ? 15 : 60, log);
}
if (scenarios.has('memory')) {
  results.memory = memory(quick ? 50 : 1_000, quick ? 100 : 1_000, log);
}
if (scenarios.has('attack')) {
  results.attack = await attack(number('BENCH_ATTACK_REQUESTS', 1_000_000, 5_000), quick ? 2_000 : 50_000, log);
}

const command = `make bench${quick ? ' BENCH_QUICK=1' : ''} (scenarios ${[...scenarios].join(',')}, ${rounds} rounds)`;
const markdown = report(results, header, command, (Date.now() - started) / 1000);
process.stdout.write(`${markdown}\n`);
if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, `${markdown}\n`);

const resultsDir = process.env.BENCH_RESULTS_DIR ?? '.local/bench';
mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
for (const file of await writePlots(results, resultsDir)) log(`plot: ${file}`);
log(`results: ${join(resultsDir, 'results.json')} (make bench-plots BENCH_RESULTS_DIR=${resultsDir} redraws them)`);
