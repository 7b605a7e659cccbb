// The markdown report of a run: machine, command, one table per scenario, and the performance
// targets (docs/benchmarks.md) marked met or not.
import type { PairedResult } from './lib/paired.ts';
import type { Summary } from './lib/stats.ts';
import type { AttackResult } from './scenarios/attack.ts';
import type { MemoryResult } from './scenarios/memory.ts';
import type { RenderResult } from './scenarios/render.ts';
import type { RenderCompareResult } from './scenarios/render-compare.ts';
import type { PrometheusScrapeResult } from './scenarios/prometheus-scrape.ts';
import type { ScrapeResult } from './scenarios/scrape.ts';
import type { StallResult } from './scenarios/stall.ts';

export interface Results {
  quick: boolean;
  rounds: number;
  overhead?: PairedResult[];
  cache?: PairedResult[];
  render?: RenderResult[];
  renderCompare?: RenderCompareResult[];
  /** One per size and format (a single object in runs before 2026-12-06). */
  scrape?: ScrapeResult | ScrapeResult[];
  stall?: StallResult[];
  prometheus?: PrometheusScrapeResult | undefined;
  attack?: AttackResult;
  memory?: MemoryResult;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const ratio = (s: Summary) => `${pct(s.median)} (IQR ${pct(s.q1)}–${pct(s.q3)})`;
const micros = (s: Summary) => `${s.median.toFixed(2)} µs (IQR ${s.q1.toFixed(2)}–${s.q3.toFixed(2)})`;
const mark = (met: boolean) => (met ? 'met' : '**NOT met**');
const ms = (s: Summary) => `${s.median.toFixed(2)} ms (${s.q1.toFixed(2)}–${s.q3.toFixed(2)})`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(2)} MiB`;

function pairedTable(rows: PairedResult[]): string[] {
  return [
    '| comparison (b vs a) | throughput b/a | added CPU per request | added time per request (1/rps) | p99 b/a | req/s a → b | failures |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.label} | ${ratio(r.throughput)} | ${micros(r.addedCpuMicros)} | ${micros(r.addedMicros)} | ${r.p99.median.toFixed(2)} | ${Math.round(r.rpsA)} → ${Math.round(r.rpsB)} | ${r.failures} |`,
    ),
  ];
}

/** A scenario's part of the report: its tables, and its rows of the targets table. */
interface Section {
  lines: string[];
  targets: string[];
}

/** Middleware overhead: the paired table and the throughput and CPU targets (rows a run skipped are left out). */
function overheadSection(rows: PairedResult[]): Section {
  const lines: string[] = [];
  const targets: string[] = [];
  const find = (prefix: string) => rows.find((r) => r.label.startsWith(prefix));
  const aa = find('A/A');
  const empty = find('Koa + one empty async middleware vs bare');
  const koa = find('Koa + redline vs bare Koa (1');
  const koaVsEmpty = find('Koa + redline vs Koa + one empty');
  const native = find('Koa + redline, native histograms on, vs bare');
  const nativeVsEmpty = find('Koa + redline, native histograms on, vs Koa + one empty');
  const tracedVsEmpty = find('Koa + redline, native, exemplars, vs Koa + one empty');
  const koa50 = find('Koa + redline vs bare Koa (50');
  const peer = find('Express');
  const within = (r: PairedResult) => r.throughput.median >= 0.99;
  lines.push('### Middleware overhead (saturated server, 16 connections, paired 1 s bursts)', '', ...pairedTable(rows), '');
  if (koaVsEmpty)
    targets.push(
      `| Koa + redline at most 1 point below Koa + one empty async middleware (classic only) | ${ratio(koaVsEmpty.throughput)} | ${mark(within(koaVsEmpty))} |`,
    );
  if (nativeVsEmpty) targets.push(`| same, native histograms on | ${ratio(nativeVsEmpty.throughput)} | ${mark(within(nativeVsEmpty))} |`);
  if (tracedVsEmpty)
    targets.push(
      `| same, native, every request traced (exemplars on; reported) | ${ratio(tracedVsEmpty.throughput)}; ${micros(tracedVsEmpty.addedCpuMicros)} | |`,
    );
  if (koa)
    targets.push(
      `| Koa + redline throughput >= 97% of bare Koa (classic only) | ${ratio(koa.throughput)} | ${mark(koa.throughput.median >= 0.97)} |`,
    );
  if (native) targets.push(`| same, native histograms on | ${ratio(native.throughput)} | ${mark(native.throughput.median >= 0.97)} |`);
  if (koa50)
    targets.push(`| same, classic only, 50 routes registered | ${ratio(koa50.throughput)} | ${mark(koa50.throughput.median >= 0.97)} |`);
  if (empty)
    targets.push(
      `| Koa + one empty async middleware vs bare Koa (the control; reported) | ${ratio(empty.throughput)}; ${micros(empty.addedCpuMicros)} | |`,
    );
  if (koa)
    targets.push(
      `| server CPU added per request <= 1.5 µs (classic only) | ${micros(koa.addedCpuMicros)} | ${mark(koa.addedCpuMicros.median <= 1.5)} |`,
    );
  if (native)
    targets.push(`| same, native histograms on | ${micros(native.addedCpuMicros)} | ${mark(native.addedCpuMicros.median <= 1.5)} |`);
  if (aa) targets.push(`| A/A control (the noise floor of the rows above) | ${ratio(aa.throughput)}; ${micros(aa.addedCpuMicros)} | |`);
  if (koa && peer)
    targets.push(
      `| redline overhead < express-prom-bundle's | ${pct(1 - koa.throughput.median)} vs ${pct(1 - peer.throughput.median)} | ${mark(1 - koa.throughput.median < 1 - peer.throughput.median)} |`,
    );
  return { lines, targets };
}

/** The child cache against `.labels()` per request. */
function cacheSection(rows: PairedResult[]): Section {
  const lines: string[] = [];
  const targets: string[] = [];
  lines.push('### RedMetrics child cache vs `.labels()` per request', '', ...pairedTable(rows), '');
  return { lines, targets };
}

/** /metrics render time by registry size, and the 10k-series targets. */
function renderSection(rows: RenderResult[]): Section {
  const lines: string[] = [];
  const targets: string[] = [];
  lines.push(
    '### /metrics rendering (RED series created with RedMetrics.observe, native histograms on)',
    '',
    '| series | label sets | sample lines | text bytes | text render, wall (median, IQR) | text render, CPU | protobuf render, wall | protobuf, CPU | protobuf bytes | prom-client Histogram, same series (before), wall |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.series} | ${r.labelSets} | ${r.lines} | ${r.bytes} | ${ms(r.ms)} | ${ms(r.cpuMs)} | ${ms(r.protobufMs)} | ${ms(r.protobufCpuMs)} | ${r.protobufBytes} | ${ms(r.promClientMs)} |`,
    ),
    '',
  );
  const tenK = rows.find((r) => r.series === 10_000);
  if (tenK) {
    targets.push(`| 10k series text render < 10 ms (wall) | ${ms(tenK.ms)} | ${mark(tenK.ms.median < 10)} |`);
    targets.push(`| same, CPU time of the render | ${ms(tenK.cpuMs)} | ${mark(tenK.cpuMs.median < 10)} |`);
    targets.push(`| 10k series protobuf render (reported; wall, CPU) | ${ms(tenK.protobufMs)}; ${ms(tenK.protobufCpuMs)} | |`);
  }
  return { lines, targets };
}

/** Render CPU against another version's renderer: a paired ratio with its A/A control. */
function renderCompareSection(rows: RenderCompareResult[]): Section {
  const base = rows[0]?.base ?? '';
  const lines = [
    `### Render CPU against ${base} (in process, the body drained as a socket would; shuffled order per round)`,
    '',
    `| series | format | CPU, this tree / ${base} (median, IQR) | A/A: ${base} / ${base} | CPU per render, ${base} → this tree |`,
    '| --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.series} | ${r.format} | ${r.ratio.median.toFixed(2)} (IQR ${r.ratio.q1.toFixed(2)}–${r.ratio.q3.toFixed(2)}) | ${r.control.median.toFixed(2)} (IQR ${r.control.q1.toFixed(2)}–${r.control.q3.toFixed(2)}) | ${r.baseCpuMs.toFixed(1)} → ${r.candidateCpuMs.toFixed(1)} ms |`,
    ),
    '',
  ];
  const targets = rows.map(
    (r) =>
      `| render CPU at most 10% above ${base}'s (${r.series} series, ${r.format}) | ${r.ratio.median.toFixed(2)} (IQR ${r.ratio.q1.toFixed(2)}–${r.ratio.q3.toFixed(2)}; A/A ${r.control.median.toFixed(2)}) | ${mark(r.ratio.median <= 1.1)} |`,
  );
  return { lines, targets };
}

/** The p99 stall a scrape causes, against an unscraped twin and an A/A control. */
function scrapeSection(result: ScrapeResult): Section {
  const lines: string[] = [];
  const targets: string[] = [];
  const s = result;
  // The targets: under 5% at 10k series, under 10% at 100k.
  const goal = s.series > 10_000 ? 0.1 : 0.05;
  lines.push(
    `### Scrape stall (${s.series} series, ${s.format} format${s.prerendered ? ', control: the same bytes pre-rendered' : ''}, native histograms on, ${s.rate} req/s per server, one scrape per ${s.burstSeconds} s burst)`,
    '',
    '| comparison | p99 ratio (median, IQR) | p99 ms | scrape time | failures |',
    '| --- | --- | --- | --- | --- |',
    `| scraped vs unscraped twin | ${ratio(s.scraped)} | ${s.p99PlainMs.toFixed(2)} → ${s.p99ScrapedMs.toFixed(2)} | ${s.scrapeMs.median.toFixed(1)} ms | ${s.failures} |`,
    `| A/A control: unscraped vs unscraped | ${ratio(s.control)} | | | |`,
    '',
  );
  // The pre-rendered control is no scrape of the metrics: it has no target of its own.
  if (s.prerendered) return { lines, targets };
  targets.push(
    `| a ${s.series}-series scrape (${s.format}, every ${s.burstSeconds} s) adds < ${goal * 100}% to p99 | ${pct(s.scraped.median - 1)} (IQR ${pct(s.scraped.q1 - 1)}–${pct(s.scraped.q3 - 1)}; A/A ${pct(s.control.median - 1)}) | ${mark(s.scraped.median < 1 + goal)} |`,
  );
  return { lines, targets };
}

/** The scrape results of a run, one per size and format. */
export function scrapeResults(results: Results): ScrapeResult[] {
  if (!results.scrape) return [];
  return Array.isArray(results.scrape) ? results.scrape : [results.scrape];
}

/** The longest event-loop block while scraped, against the same window unscraped, and the CPU of a scrape. */
function stallSection(rows: StallResult[]): Section {
  const lines = [
    '### Event-loop blocks during a scrape (in process, perf_hooks.monitorEventLoopDelay at 1 ms resolution, scraped by curl)',
    '',
    '| series | format | longest block while scraped (median, IQR) | A/A: same window, not scraped | worst round | CPU per scrape (median, IQR) | body bytes |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  const targets: string[] = [];
  for (const r of rows) {
    lines.push(
      `| ${r.series} | ${r.format} | ${ms(r.blockMs)} | ${ms(r.controlBlockMs)} | ${r.worstBlockMs.toFixed(2)} ms | ${ms(r.cpuMs)} | ${r.bytes} |`,
    );
    if (r.series >= 100_000)
      targets.push(
        `| longest event-loop block during a ${r.series}-series scrape (${r.format}) < 5 ms | ${ms(r.blockMs)}; A/A ${ms(r.controlBlockMs)} | ${mark(r.blockMs.median < 5)} |`,
      );
  }
  lines.push('');
  return { lines, targets };
}

/** scrape_duration_seconds as a real Prometheus 3 records it. */
function prometheusSection(r: PrometheusScrapeResult): Section {
  const lines = [
    `### scrape_duration_seconds from Prometheus ${r.version} (${r.series} series, scraped every ${r.intervalSeconds} s for ${r.seconds} s)`,
    '',
    '| job (format) | scrapes | scrape_duration_seconds, median | max | samples scraped |',
    '| --- | --- | --- | --- | --- |',
    ...r.jobs.map(
      (j) =>
        `| ${j.format} | ${j.scrapes} | ${(j.medianSeconds * 1000).toFixed(1)} ms | ${(j.maxSeconds * 1000).toFixed(1)} ms | ${j.samples} |`,
    ),
    '',
  ];
  const targets = r.jobs.map(
    (j) =>
      `| scrape_duration_seconds of a ${r.series}-series service (${j.format}; reported) | median ${(j.medianSeconds * 1000).toFixed(1)} ms, max ${(j.maxSeconds * 1000).toFixed(1)} ms | |`,
  );
  return { lines, targets };
}

/** The cardinality attack: series and heap before and after. */
function attackSection(result: AttackResult): Section {
  const lines: string[] = [];
  const targets: string[] = [];
  const a = result;
  const seriesGrowth = a.seriesAfter / a.seriesBefore - 1;
  const heapGrowth = a.heapAfter / a.heapBefore - 1;
  lines.push(
    `### Cardinality attack on the real service (${a.requests} random requests after a ${a.warmupRequests}-request warm-up, ${Math.round(a.requests / a.seconds)} req/s)`,
    '',
    '| | before | after | change |',
    '| --- | --- | --- | --- |',
    `| RED series (http_* sample lines) | ${a.seriesBefore} | ${a.seriesAfter} | ${pct(seriesGrowth)} |`,
    `| live heap after full GC | ${mib(a.heapBefore)} | ${mib(a.heapAfter)} | ${pct(heapGrowth)} |`,
    '',
    `Statuses: ${Object.entries(a.byStatus)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ')}; transport errors: ${a.transportErrors}.`,
    `New request-counter series during the attack: ${a.newSeries.length === 0 ? 'none' : a.newSeries.map((l) => `\`${l}\``).join(', ')}.`,
    '',
  );
  targets.push(
    `| attack: series within 5% of before | ${pct(seriesGrowth)} | ${mark(Math.abs(seriesGrowth) <= 0.05)} |`,
    `| attack: heap within 5% of before | ${pct(heapGrowth)} | ${mark(Math.abs(heapGrowth) <= 0.05)} |`,
  );
  return { lines, targets };
}

/** Memory per label set, classic and native. */
function memorySection(result: MemoryResult): Section {
  const lines: string[] = [];
  const targets: string[] = [];
  const m = result;
  lines.push(
    `### Memory per label set (live heap and ArrayBuffers after full GC; ${m.labelSets} label sets, ${m.observationsPerSet} log-normal observations each)`,
    '',
    '| histogram | bytes per label set (all RED series of it) | native buckets per series |',
    '| --- | --- | --- |',
    `| classic only | ${Math.round(m.classicBytesPerSet)} | |`,
    `| classic + native | ${Math.round(m.nativeBytesPerSet)} | ${m.nativeBucketsPerSet} |`,
    '',
  );
  const go = m.golang;
  if (!go || 'skipped' in go) lines.push(`client_golang: not measured (${go?.skipped ?? 'a run before it was'}).`, '');
  else
    lines.push(
      `client_golang ${go.clientGolang} (${go.goVersion}), the same label sets and observations (bench/golang/memory.go, Go heap after full GCs): ${Math.round(go.classicBytesPerSet)} B classic only, ${Math.round(go.nativeBytesPerSet)} B with native histograms.`,
      '',
    );
  targets.push(
    `| memory per series, classic vs native, against client_golang (reported) | ${Math.round(m.classicBytesPerSet)} B vs ${Math.round(m.nativeBytesPerSet)} B per label set${go && !('skipped' in go) ? `; client_golang ${Math.round(go.classicBytesPerSet)} B vs ${Math.round(go.nativeBytesPerSet)} B` : ''} | |`,
  );
  return { lines, targets };
}

export function report(results: Results, header: string[], command: string, seconds: number): string {
  const sections = [
    results.overhead && overheadSection(results.overhead),
    results.cache && cacheSection(results.cache),
    results.render && renderSection(results.render),
    results.renderCompare && renderCompareSection(results.renderCompare),
    ...scrapeResults(results).map(scrapeSection),
    results.stall && stallSection(results.stall),
    results.prometheus && prometheusSection(results.prometheus),
    results.attack && attackSection(results.attack),
    results.memory && memorySection(results.memory),
  ].filter((section): section is Section => Boolean(section));
  const targets = sections.flatMap((section) => section.targets);
  const lines = [
    '```',
    ...header,
    `command:  ${command}`,
    `duration: ${Math.round(seconds)} s`,
    '```',
    '',
    ...sections.flatMap((section) => section.lines),
  ];
  if (targets.length > 0) lines.push('### Targets', '', '| target | measured | |', '| --- | --- | --- |', ...targets, '');
  if (results.quick) lines.push('_BENCH_QUICK=1: a smoke run; these numbers are not meaningful._');
  return lines.join('\n');
}
