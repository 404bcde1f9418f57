// Order statistics for benchmark samples. Medians for whole-process runs, nearest-rank percentiles for latencies.

/** Nearest-rank percentile (p in 0..100) of a list of numbers; NaN for an empty list. */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

/** Median (the lower middle value for even counts, so it is always a measured sample). */
export function median(values) {
  return percentile(values, 50);
}

/** `part / whole`, or NaN when either is missing. */
export function ratio(part, whole) {
  return Number.isFinite(part) && Number.isFinite(whole) && whole > 0 ? part / whole : Number.NaN;
}
