/**
 * Bootstrap confidence intervals over interleaved rounds (pure; seeded PRNG).
 *
 * Samples taken close together share the machine's state (a noisy neighbour, a frequency change), so
 * they are not independent: resampling single samples would give CIs that are too narrow and a gate
 * that cries wolf. We resample whole rounds instead (a cluster bootstrap).
 *
 * Two models measured interleaved are compared within each round (pairedRoundRatios): the ratio of the
 * two blocks' medians (or p95s, or throughputs) in the same round, combined over rounds by their median
 * and resampled by round. Drift and noisy neighbours that hit a whole round cancel out of its ratio,
 * and the few rounds in which interference hit only one block are outvoted. A stored baseline has no
 * rounds in common with the current run, so there the pooled statistics of each side are resampled
 * independently (bootstrapRatios).
 *
 * A resample is a multiset of rounds, represented by a count per round, so every statistic is computed
 * by one walk over the pre-sorted samples: no sorting inside the bootstrap loop.
 */
import { quantileSorted } from "./stats.js";
import { seededRandom } from "../onnx/random.js";

export type Metric = "median" | "p90" | "p95" | "p99" | "throughput";

export const METRIC_QUANTILE: Record<Exclude<Metric, "throughput">, number> = {
  median: 0.5,
  p90: 0.9,
  p95: 0.95,
  p99: 0.99,
};

/** Fewer rounds than this give no CI (the resampling distribution would be too coarse to mean anything). */
export const MIN_ROUNDS_FOR_CI = 5;

export interface RoundData {
  samplesMs: ArrayLike<number>;
  roundSizes: readonly number[];
  roundWallMs: readonly number[];
}

/** Samples sorted once, each remembering its round. */
export interface Clustered {
  values: Float64Array;
  round: Int32Array;
  rounds: number;
  sizes: Float64Array;
  wallMs: Float64Array;
}

export function clusterRounds(d: RoundData): Clustered {
  const n = d.samplesMs.length;
  const roundOf = new Int32Array(n);
  let i = 0;
  d.roundSizes.forEach((size, r) => {
    for (let j = 0; j < size; j++) roundOf[i++] = r;
  });
  if (i !== n) throw new Error(`round sizes add up to ${i}, but there are ${n} samples`);
  const order = Array.from({ length: n }, (_, k) => k).sort((a, b) => d.samplesMs[a] - d.samplesMs[b]);
  return {
    values: Float64Array.from(order, (k) => d.samplesMs[k]),
    round: Int32Array.from(order, (k) => roundOf[k]),
    rounds: d.roundSizes.length,
    sizes: Float64Array.from(d.roundSizes),
    wallMs: Float64Array.from(d.roundWallMs),
  };
}

/** Multinomial draw: how often each of `rounds` rounds is picked in `rounds` draws with replacement. */
export function drawRoundCounts(rounds: number, rand: () => number, out: Int32Array): Int32Array {
  out.fill(0);
  for (let k = 0; k < rounds; k++) out[Math.floor(rand() * rounds)]++;
  return out;
}

/**
 * Quantiles (type 7 interpolation) of the multiset in which every sample of round r appears
 * counts[r] times; one pass over the sorted samples for all `ps`.
 */
export function weightedQuantiles(c: Clustered, counts: Int32Array, ps: readonly number[]): number[] {
  let total = 0;
  for (let r = 0; r < c.rounds; r++) total += counts[r] * c.sizes[r];
  if (total === 0) return ps.map(() => NaN);
  // Each p needs the values at ranks floor(h) and floor(h) + 1, h = (total - 1) p.
  const wants = ps.map((p, idx) => {
    const h = (total - 1) * Math.min(1, Math.max(0, p));
    const lo = Math.floor(h);
    return { idx, lo, hi: Math.min(lo + 1, total - 1), frac: h - lo, vlo: NaN, vhi: NaN };
  });
  const byRank = [...wants].sort((a, b) => a.lo - b.lo);
  let w = 0;
  let cum = 0;
  for (let i = 0; i < c.values.length && w < byRank.length; i++) {
    const k = counts[c.round[i]];
    if (k === 0) continue;
    const end = cum + k; // this value occupies ranks [cum, end)
    while (w < byRank.length && byRank[w].lo < end) {
      const q = byRank[w];
      q.vlo = c.values[i];
      if (q.hi < end) q.vhi = c.values[i];
      else {
        // The next rank belongs to the next value with a non-zero count.
        let j = i + 1;
        while (counts[c.round[j]] === 0) j++;
        q.vhi = c.values[j];
      }
      w++;
    }
    cum = end;
  }
  const out = new Array<number>(ps.length);
  for (const q of wants) out[q.idx] = q.vlo + q.frac * (q.vhi - q.vlo);
  return out;
}

/** Inferences per second over the chosen rounds. */
export function weightedThroughput(c: Clustered, counts: Int32Array): number {
  let calls = 0;
  let ms = 0;
  for (let r = 0; r < c.rounds; r++) {
    calls += counts[r] * c.sizes[r];
    ms += counts[r] * c.wallMs[r];
  }
  return ms > 0 ? (calls / ms) * 1000 : NaN;
}

/** Every metric of one resample (or of the data itself, with all counts 1). */
export function metricValues(c: Clustered, counts: Int32Array, metrics: readonly Metric[]): number[] {
  const qs = metrics.filter((m): m is Exclude<Metric, "throughput"> => m !== "throughput");
  const qv = weightedQuantiles(
    c,
    counts,
    qs.map((m) => METRIC_QUANTILE[m]),
  );
  return metrics.map((m) => (m === "throughput" ? weightedThroughput(c, counts) : qv[qs.indexOf(m)]));
}

export interface BootstrapOptions {
  resamples?: number;
  seed?: number;
  /** Two-sided confidence level; default 0.95. */
  level?: number;
}

export interface Estimate {
  value: number;
  ci: [number, number] | null;
}

function percentileInterval(replicates: Float64Array, level: number): [number, number] {
  const s = replicates.filter((x) => Number.isFinite(x)).sort();
  const a = (1 - level) / 2;
  return [quantileSorted(s, a), quantileSorted(s, 1 - a)];
}

/** Point estimates and percentile-bootstrap CIs of each metric of one model. */
export function bootstrapMetrics(
  c: Clustered,
  metrics: readonly Metric[],
  opts: BootstrapOptions = {},
): Record<string, Estimate> {
  const B = opts.resamples ?? 2000;
  const ones = new Int32Array(c.rounds).fill(1);
  const point = metricValues(c, ones, metrics);
  const reps = metrics.map(() => new Float64Array(B));
  if (c.rounds >= MIN_ROUNDS_FOR_CI) {
    const rand = seededRandom(opts.seed ?? 0x5eed);
    const counts = new Int32Array(c.rounds);
    for (let b = 0; b < B; b++) {
      const v = metricValues(c, drawRoundCounts(c.rounds, rand, counts), metrics);
      v.forEach((x, m) => (reps[m][b] = x));
    }
  }
  const out: Record<string, Estimate> = {};
  metrics.forEach((m, i) => {
    out[m] = {
      value: point[i],
      ci: c.rounds >= MIN_ROUNDS_FOR_CI ? percentileInterval(reps[i], opts.level ?? 0.95) : null,
    };
  });
  return out;
}

/**
 * Ratio candidate / baseline of each metric with a bootstrap CI. Paired (the same rounds drawn for
 * both) when the two were measured interleaved in the same rounds; otherwise each is resampled alone.
 */
export function bootstrapRatios(
  baseline: Clustered,
  candidate: Clustered,
  metrics: readonly Metric[],
  opts: BootstrapOptions & { paired: boolean },
): Record<string, Estimate> {
  const B = opts.resamples ?? 2000;
  const paired = opts.paired && baseline.rounds === candidate.rounds;
  const pointA = metricValues(baseline, new Int32Array(baseline.rounds).fill(1), metrics);
  const pointB = metricValues(candidate, new Int32Array(candidate.rounds).fill(1), metrics);
  const enough = Math.min(baseline.rounds, candidate.rounds) >= MIN_ROUNDS_FOR_CI;
  const reps = metrics.map(() => new Float64Array(B));
  if (enough) {
    const rand = seededRandom(opts.seed ?? 0x5eed);
    const ca = new Int32Array(baseline.rounds);
    const cb = new Int32Array(candidate.rounds);
    for (let b = 0; b < B; b++) {
      drawRoundCounts(baseline.rounds, rand, ca);
      if (paired) cb.set(ca);
      else drawRoundCounts(candidate.rounds, rand, cb);
      const va = metricValues(baseline, ca, metrics);
      const vb = metricValues(candidate, cb, metrics);
      for (let m = 0; m < metrics.length; m++) reps[m][b] = vb[m] / va[m];
    }
  }
  const out: Record<string, Estimate> = {};
  metrics.forEach((m, i) => {
    out[m] = {
      value: pointB[i] / pointA[i],
      ci: enough ? percentileInterval(reps[i], opts.level ?? 0.95) : null,
    };
  });
  return out;
}

/** Rounds of `d` as arrays of samples. */
function roundSlices(d: RoundData): ArrayLike<number>[] {
  const out: ArrayLike<number>[] = [];
  let i = 0;
  for (const size of d.roundSizes) {
    out.push(Array.prototype.slice.call(d.samplesMs, i, i + size) as number[]);
    i += size;
  }
  return out;
}

function roundStat(samples: ArrayLike<number>, wallMs: number, metric: Metric): number {
  if (metric === "throughput") return wallMs > 0 ? (samples.length / wallMs) * 1000 : NaN;
  return quantileSorted(Float64Array.from(samples).sort(), METRIC_QUANTILE[metric]);
}

/**
 * Paired comparison of two models measured in the same interleaved rounds: for each round, the
 * candidate's block statistic over the baseline's; the estimate is the median of those per-round
 * ratios and its CI comes from resampling rounds.
 */
export function pairedRoundRatios(
  baseline: RoundData,
  candidate: RoundData,
  metrics: readonly Metric[],
  opts: BootstrapOptions = {},
): Record<string, Estimate & { perRound: number[] }> {
  const R = baseline.roundSizes.length;
  if (candidate.roundSizes.length !== R)
    throw new Error(
      `paired rounds differ: ${R} baseline rounds, ${candidate.roundSizes.length} candidate rounds`,
    );
  const a = roundSlices(baseline);
  const b = roundSlices(candidate);
  const out: Record<string, Estimate & { perRound: number[] }> = {};
  metrics.forEach((metric, mi) => {
    const perRound = a.map(
      (xa, r) =>
        roundStat(b[r], candidate.roundWallMs[r], metric) / roundStat(xa, baseline.roundWallMs[r], metric),
    );
    const c = clusterRounds({
      samplesMs: perRound,
      roundSizes: perRound.map(() => 1),
      roundWallMs: perRound.map(() => 0),
    });
    const est = bootstrapMetrics(c, ["median"], { ...opts, seed: (opts.seed ?? 0x5eed) + mi }).median;
    out[metric] = { ...est, perRound };
  });
  return out;
}
