// Does RedMetrics' child cache pay? Koa + redline with the cache vs the same middleware
// calling prom-client's `.labels()` on every request, with an A/A control.
import { runPaired, type PairedResult } from '../lib/paired.ts';
import { startSubject, stopAll, type Subject } from '../lib/subjects.ts';
import type { OverheadOptions } from './overhead.ts';

export async function cache(options: OverheadOptions): Promise<PairedResult[]> {
  const subjects: Subject[] = [];
  try {
    for (const [name, kind] of [
      ['cached', 'koa-redline'],
      ['cached-2', 'koa-redline'],
      ['labels', 'koa-redline-labels'],
    ] as const) {
      subjects.push(await startSubject({ name, kind }));
    }
    options.log(`cache: 3 servers, ${options.rounds} rounds`);
    return await runPaired({
      ...options,
      subjects,
      comparisons: [
        { label: 'A/A control: cached vs cached', a: 'cached', b: 'cached-2' },
        { label: 'child cache vs .labels() per request', a: 'labels', b: 'cached' },
      ],
    });
  } finally {
    await stopAll(subjects);
  }
}
