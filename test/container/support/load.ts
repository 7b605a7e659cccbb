// Steady open-loop load from the host with Node's fetch, recording every request's outcome.

export interface Outcome {
  startedAt: number;
  endedAt: number;
  status?: number;
  error?: string;
}

export interface SteadyLoad {
  outcomes: Outcome[];
  /** Stops starting new requests and waits for those in flight. */
  stop(): Promise<Outcome[]>;
}

export function steadyLoad(url: string, { rate, path }: { rate: number; path: string }): SteadyLoad {
  const outcomes: Outcome[] = [];
  const inFlight = new Set<Promise<void>>();
  const send = async () => {
    const outcome: Outcome = { startedAt: performance.now(), endedAt: 0 };
    outcomes.push(outcome);
    try {
      const response = await fetch(url + path, { signal: AbortSignal.timeout(15_000) });
      await response.arrayBuffer();
      outcome.status = response.status;
    } catch (error) {
      outcome.error = (error as Error).cause ? String((error as Error).cause) : String(error);
    } finally {
      outcome.endedAt = performance.now();
    }
  };
  const timer = setInterval(() => {
    const request = send().finally(() => inFlight.delete(request));
    inFlight.add(request);
  }, 1000 / rate);
  return {
    outcomes,
    stop: async () => {
      clearInterval(timer);
      await Promise.all(inFlight);
      return outcomes;
    },
  };
}
