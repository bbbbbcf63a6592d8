/** The `p`th percentile (0–100) of values sorted in ascending order: the value at rank ⌊p·n/100⌋, the last for p = 100. */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
