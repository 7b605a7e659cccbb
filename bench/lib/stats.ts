// Order statistics for paired benchmark ratios.

/** The q-quantile (0..1) of `values` by linear interpolation between order statistics. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const low = sorted[lower]!;
  return low + (sorted[upper]! - low) * (position - lower);
}

export const median = (values: number[]) => quantile(values, 0.5);

export interface Summary {
  median: number;
  q1: number;
  q3: number;
  n: number;
}

export function summarise(values: number[]): Summary {
  return { median: median(values), q1: quantile(values, 0.25), q3: quantile(values, 0.75), n: values.length };
}

/** Fisher-Yates shuffle (a copy), so no server always goes first within a round. */
export function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}
