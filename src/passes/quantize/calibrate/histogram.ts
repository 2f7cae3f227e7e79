/** Range selection from calibration statistics: min-max, percentile, and entropy (KL divergence). */

export interface Range {
  rmin: number;
  rmax: number;
}

/** Fixed-width histogram over [lo, hi]. */
export class Histogram {
  readonly counts: Float64Array;
  constructor(
    readonly lo: number,
    readonly hi: number,
    bins: number,
  ) {
    this.counts = new Float64Array(bins);
  }
  add(values: ArrayLike<number>, abs = false): void {
    const bins = this.counts.length;
    const width = (this.hi - this.lo) / bins;
    if (!(width > 0)) {
      this.counts[0] += values.length;
      return;
    }
    for (let i = 0; i < values.length; i++) {
      const v = abs ? Math.abs(values[i]) : values[i];
      let b = Math.floor((v - this.lo) / width);
      if (b < 0) b = 0;
      else if (b >= bins) b = bins - 1;
      this.counts[b]++;
    }
  }
  edge(i: number): number {
    return this.lo + ((this.hi - this.lo) * i) / this.counts.length;
  }
}

/** Cut (100 - percentile)% of the mass, split between the tails of a signed histogram. */
export function percentileRange(h: Histogram, percentile: number): Range {
  const total = h.counts.reduce((a, b) => a + b, 0);
  if (total === 0) return { rmin: 0, rmax: 0 };
  const cut = ((100 - percentile) / 200) * total;
  let acc = 0;
  let left = 0;
  while (left < h.counts.length - 1 && acc + h.counts[left] <= cut) acc += h.counts[left++];
  acc = 0;
  let right = h.counts.length - 1;
  while (right > 0 && acc + h.counts[right] <= cut) acc += h.counts[right--];
  return { rmin: h.edge(left), rmax: h.edge(right + 1) };
}

function klDivergence(p: Float64Array, q: Float64Array): number {
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) {
    sp += p[i];
    sq += q[i];
  }
  let kl = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] === 0) continue;
    const pi = p[i] / sp;
    const qi = q[i] / sq;
    kl += qi === 0 ? pi * 20 : pi * Math.log(pi / qi); // an empty q bin where p has mass costs a lot
  }
  return kl;
}

/**
 * TensorRT-style entropy calibration on a histogram of |x| over [0, absmax]: for each candidate
 * threshold bin i >= quantizedBins, fold the clipped tail into bin i-1, requantize the first i bins to
 * `quantizedBins` levels, expand back, and keep the threshold with the smallest KL(P || Q).
 */
export function entropyThreshold(h: Histogram, quantizedBins = 128): number {
  const bins = h.counts.length;
  if (bins <= quantizedBins) return h.hi;
  let best = bins;
  let bestKl = Infinity;
  const step = Math.max(1, Math.floor((bins - quantizedBins) / 256)); // bound the search cost
  for (let i = quantizedBins; i <= bins; i += step) {
    const p = h.counts.slice(0, i);
    let tail = 0;
    for (let j = i; j < bins; j++) tail += h.counts[j];
    p[i - 1] += tail;
    const q = new Float64Array(i);
    const per = i / quantizedBins;
    for (let k = 0; k < quantizedBins; k++) {
      const start = Math.floor(k * per);
      const end = k === quantizedBins - 1 ? i : Math.floor((k + 1) * per);
      let sum = 0;
      let nonzero = 0;
      for (let j = start; j < end; j++) {
        sum += h.counts[j]; // Q is built from the clipped histogram *without* the folded tail
        if (p[j] !== 0) nonzero++;
      }
      if (nonzero === 0) continue;
      for (let j = start; j < end; j++) if (p[j] !== 0) q[j] = sum / nonzero;
    }
    const kl = klDivergence(p, q);
    if (kl < bestKl) {
      bestKl = kl;
      best = i;
    }
  }
  return h.edge(best);
}
