import { pino, type Logger } from 'pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { Counter, type Registry } from 'prom-client';

export type { Logger };

/** Structured JSON logs on stdout, one object per line. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'redline' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

export interface BoundedStdout {
  stream: pino.DestinationStream;
  /** Lines dropped so far because stdout's reader was not keeping up. */
  readonly dropped: number;
  /** Counts the dropped lines in `registry` as redline_log_lines_dropped_total. */
  register(registry: Registry): void;
  /** Writes out what is buffered, waiting at most `timeoutMs` for a stalled reader. */
  flush(timeoutMs: number): Promise<void>;
}

/**
 * stdout with at most `maxBytes` waiting for its reader. Without a bound, a reader that stalls
 * (a wedged log shipper, a full pipe) makes the heap grow with every line; past the bound a
 * line is dropped and counted rather than kept.
 */
export function boundedStdout(maxBytes: number): BoundedStdout {
  const stream = pino.destination({ dest: 1, sync: false, minLength: 0, maxLength: maxBytes });
  let dropped = 0;
  let counter: Counter | undefined;
  stream.on('drop', (data: string) => {
    let lines = 0;
    for (let i = data.indexOf('\n'); i !== -1; i = data.indexOf('\n', i + 1)) lines += 1;
    dropped += Math.max(lines, 1);
    counter?.inc(Math.max(lines, 1));
  });
  return {
    stream,
    get dropped() {
      return dropped;
    },
    register(registry) {
      counter = new Counter({
        name: 'redline_log_lines_dropped_total',
        help: 'Log lines dropped because stdout was not being read fast enough.',
        registers: [registry],
      });
      counter.inc(dropped);
    },
    async flush(timeoutMs) {
      // sonic-boom's own flush() returns at once with minLength 0: watch its buffer instead.
      const pending = stream as unknown as { _len: number; _writing: boolean; destroy(): void };
      const deadline = Date.now() + timeoutMs;
      while ((pending._len > 0 || pending._writing) && Date.now() < deadline) await sleep(10);
      // Still stuck: the reader is gone or wedged. pino would flush synchronously at exit and
      // block until SIGKILL; give up on what is left instead.
      if (pending._len > 0 || pending._writing) pending.destroy();
    },
  };
}
