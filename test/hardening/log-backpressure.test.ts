// A stalled stdout reader must not grow the heap: past LOG_BUFFER_BYTES lines are dropped and
// counted, and logging resumes when the reader does.
import { setTimeout as sleep } from 'node:timers/promises';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { startService } from '../../scripts/lib/service-process.ts';

const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

async function dropped(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^redline_log_lines_dropped_total (\S+)$/m.exec(text)?.[1] ?? NaN);
}

describe('hardening: stalled log reader (real process)', function () {
  this.timeout(90_000);

  it('drops and counts log lines past LOG_BUFFER_BYTES while stdout is not read, then logs again', async () => {
    const service = await startService({
      env: { LOG_LEVEL: 'info', LOG_BUFFER_BYTES: String(256 * 1024), SIM_ERROR_RATE: '0', SIM_LATENCY_FACTOR: '0' },
    });
    try {
      expect(await dropped(service.url)).to.equal(0);
      service.process.stdout!.pause(); // the log shipper stalls: the pipe fills, writes block
      const rssBefore = rssOf(service.process.pid!);
      // 15 000 requests, each logging a ~700-byte line (the URL is logged up to 512 characters):
      // 10 MB of logs, 40x the buffer.
      const padded = `/api/items/1?pad=${'x'.repeat(480)}`;
      for (let round = 0; round < 150; round += 1) {
        await Promise.all(Array.from({ length: 100 }, () => fetch(service.url + padded).then((r) => r.arrayBuffer())));
      }
      const droppedLines = await dropped(service.url);
      const growth = rssOf(service.process.pid!) - rssBefore;
      console.log(`      dropped ${droppedLines} lines; RSS grew ${Math.round(growth / 1024 / 1024)} MiB`);
      expect(droppedLines).to.be.above(10_000);
      expect(growth, 'RSS growth while stdout was stalled').to.be.below(40 * 1024 * 1024);
      // The reader comes back: buffered lines arrive, then new ones.
      const linesBefore = service.output.length;
      service.process.stdout!.resume();
      await fetch(`${service.url}/api/items/2?after=stall`).then((r) => r.arrayBuffer());
      for (let i = 0; i < 50 && !service.output.some((line) => line.includes('after=stall')); i += 1) await sleep(100);
      expect(
        service.output.some((line) => line.includes('after=stall')),
        'a line logged after the stall',
      ).to.equal(true);
      expect(service.output.length).to.be.above(linesBefore);
    } finally {
      await service.stop();
    }
  });
});
