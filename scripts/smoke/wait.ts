// Deadline-based retrying: run a pass of checks until it passes or time is up.

export interface Deadline {
  /** Milliseconds left, never below 0. */
  remaining(): number;
  expired(): boolean;
}

export function deadline(ms: number, now: () => number = Date.now): Deadline {
  const end = now() + ms;
  return {
    remaining: () => Math.max(0, end - now()),
    expired: () => now() >= end,
  };
}

/** Calls `pass` until `done(result)` or the deadline; returns the last result either way. */
export async function retryUntil<T>(
  pass: () => Promise<T>,
  done: (result: T) => boolean,
  limit: Deadline,
  pauseMs = 2_000,
): Promise<{ result: T; attempts: number }> {
  for (let attempts = 1; ; attempts++) {
    const result = await pass();
    if (done(result) || limit.expired()) return { result, attempts };
    await new Promise((resolve) => setTimeout(resolve, Math.min(pauseMs, limit.remaining())));
  }
}
