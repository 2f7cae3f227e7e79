/** Raw rounds → the statistics of a Measurement (pure). */
import { bootstrapMetrics, clusterRounds, type Metric } from "./bootstrap.js";
import { describe } from "./stats.js";
import type { RawMeasurement } from "./measure.js";
import type { Interval, LatencyStats, Measurement } from "./types.js";

const METRICS: Metric[] = ["median", "p90", "p95", "p99", "throughput"];

/** Rounds to a nanosecond so the JSON stays short (0.228704, not 0.22870399999999999). */
const ns = (ms: number) => Math.round(ms * 1e6) / 1e6;

export function summarizeRounds(
  raw: Pick<RawMeasurement, "samplesMs" | "roundSizes" | "roundWallMs">,
  batch: number,
  opts: { resamples?: number; seed?: number } = {},
): { latency: LatencyStats; throughput: Measurement["throughput"] } {
  const d = describe(raw.samplesMs);
  const est = bootstrapMetrics(clusterRounds(raw), METRICS, {
    resamples: opts.resamples ?? 1000,
    seed: opts.seed,
  });
  const iv = (m: Metric): Interval => ({ value: est[m].value, ci: est[m].ci });
  const tput = iv("throughput");
  return {
    latency: {
      count: d.count,
      min: d.min,
      max: d.max,
      mean: d.mean,
      stddev: d.stddev,
      mad: d.mad,
      median: iv("median"),
      p90: iv("p90"),
      p95: iv("p95"),
      p99: iv("p99"),
      outliers: {
        tukeyLow: d.tukey.low,
        tukeyHigh: d.tukey.high,
        tukeySevere: d.tukey.severe,
        mad: d.madOutliers,
      },
    },
    throughput: {
      inferencesPerSec: tput,
      samplesPerSec: {
        value: tput.value * batch,
        ci: tput.ci ? [tput.ci[0] * batch, tput.ci[1] * batch] : null,
      },
    },
  };
}

export function toMeasurement(
  raw: RawMeasurement,
  meta: Pick<Measurement, "role" | "model" | "batch" | "concurrency">,
  opts: { resamples?: number; seed?: number } = {},
): Measurement {
  const samplesMs = raw.samplesMs.map(ns);
  const roundWallMs = raw.roundWallMs.map(ns);
  const s = summarizeRounds({ samplesMs, roundSizes: raw.roundSizes, roundWallMs }, meta.batch, opts);
  return {
    ...meta,
    samplesMs,
    roundSizes: raw.roundSizes,
    roundWallMs,
    warmup: { ...raw.warmup, ms: ns(raw.warmup.ms), windowMedians: raw.warmup.windowMedians.map(ns) },
    ...s,
  };
}
