// The one duration parser of the project: the load generator's --duration, and (imported from
// here, since the service never imports tools) the smoke test's flags, `make local` and the chart
// tests' Prometheus durations. Imports nothing, so any folder may use it.

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

/**
 * Milliseconds of a duration written as Prometheus writes them ("250ms", "90s", "1m30s", "3d"),
 * with decimals allowed ("1.5s"); a bare number is seconds ("0", "30").
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1_000);
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== trimmed) {
    throw new Error(`not a duration: ${JSON.stringify(text)} (examples: 250ms, 30s, 1m30s, 3d, 0)`);
  }
  return Math.round(parts.reduce((total, [, value, unit]) => total + Number(value) * UNIT_MS[unit!]!, 0));
}
