/** Descriptive statistics (pure): interpolated percentiles, spread, outliers. */

/** Sorted copy as a Float64Array (numeric order). */
export function sortedCopy(xs: ArrayLike<number>): Float64Array {
  return Float64Array.from(xs).sort();
}

/**
 * Percentile of sorted data with linear interpolation between closest ranks (Hyndman & Fan type 7,
 * the default of NumPy and R): position h = (n - 1) p.
 */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  if (p <= 0) return sorted[0];
  if (p >= 1) return sorted[n - 1];
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const frac = h - lo;
  return frac === 0 ? sorted[lo] : sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
}

export function quantile(xs: ArrayLike<number>, p: number): number {
  return quantileSorted(sortedCopy(xs), p);
}

export function median(xs: ArrayLike<number>): number {
  return quantile(xs, 0.5);
}

export function mean(xs: ArrayLike<number>): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

/** Sample standard deviation (n - 1 in the denominator); 0 for a single value. */
export function stddev(xs: ArrayLike<number>): number {
  const n = xs.length;
  if (n < 2) return n === 1 ? 0 : NaN;
  const m = mean(xs);
  let s = 0;
  for (let i = 0; i < n; i++) s += (xs[i] - m) ** 2;
  return Math.sqrt(s / (n - 1));
}

/** Median absolute deviation from the median, unscaled. */
export function mad(xs: ArrayLike<number>): number {
  const m = median(xs);
  const dev = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) dev[i] = Math.abs(xs[i] - m);
  return median(dev);
}

/** 1.4826 * MAD estimates the standard deviation of normally distributed data. */
export const MAD_TO_SIGMA = 1.4826;

export interface TukeyOutliers {
  low: number;
  high: number;
  /** Beyond 3 IQR ("far out"). */
  severe: number;
  fences: { low: number; high: number };
}

/** Tukey's fences on sorted data: below Q1 - 1.5 IQR or above Q3 + 1.5 IQR. */
export function tukeyOutliers(sorted: ArrayLike<number>): TukeyOutliers {
  const q1 = quantileSorted(sorted, 0.25);
  const q3 = quantileSorted(sorted, 0.75);
  const iqr = q3 - q1;
  const fences = { low: q1 - 1.5 * iqr, high: q3 + 1.5 * iqr };
  let low = 0;
  let high = 0;
  let severe = 0;
  for (let i = 0; i < sorted.length; i++) {
    const x = sorted[i];
    if (x < fences.low) low++;
    else if (x > fences.high) high++;
    if (x < q1 - 3 * iqr || x > q3 + 3 * iqr) severe++;
  }
  return { low, high, severe, fences };
}

/** Values further than k robust sigmas (1.4826 MAD) from the median; k = 3.5 (Iglewicz & Hoaglin). */
export function madOutlierCount(xs: ArrayLike<number>, k = 3.5): number {
  const m = median(xs);
  const sigma = MAD_TO_SIGMA * mad(xs);
  if (sigma === 0) {
    let n = 0;
    for (let i = 0; i < xs.length; i++) if (xs[i] !== m) n++;
    return n;
  }
  let n = 0;
  for (let i = 0; i < xs.length; i++) if (Math.abs(xs[i] - m) > k * sigma) n++;
  return n;
}

export interface Describe {
  count: number;
  min: number;
  max: number;
  mean: number;
  stddev: number;
  mad: number;
  median: number;
  p90: number;
  p95: number;
  p99: number;
  tukey: TukeyOutliers;
  madOutliers: number;
}

export function describe(xs: ArrayLike<number>): Describe {
  const s = sortedCopy(xs);
  return {
    count: s.length,
    min: s.length ? s[0] : NaN,
    max: s.length ? s[s.length - 1] : NaN,
    mean: mean(s),
    stddev: stddev(s),
    mad: mad(s),
    median: quantileSorted(s, 0.5),
    p90: quantileSorted(s, 0.9),
    p95: quantileSorted(s, 0.95),
    p99: quantileSorted(s, 0.99),
    tukey: tukeyOutliers(s),
    madOutliers: madOutlierCount(s),
  };
}
