/** The data model of `mlpack bench`: options in, a versioned report out (see baseline.ts for the schema). */
import type { Fingerprint } from "./fingerprint.js";
import type { Comparison } from "./gate.js";

export type Device = "cpu" | "cuda";

/** How warm-up ends: "auto" (stable windows), a fixed number of calls, or a fixed time. */
export type WarmupSpec = { kind: "auto" } | { kind: "calls"; calls: number } | { kind: "time"; ms: number };

/** When sampling ends: a total number of inferences, or a time, per model and configuration. */
export type SampleSpec = { kind: "iterations"; count: number } | { kind: "duration"; ms: number };

export interface BenchOptions {
  /** The model under test (the candidate). */
  model: string;
  /** A second model measured interleaved with the candidate (A/B), used as the reference. */
  baselineModel?: string;
  device?: Device;
  /** Batch sizes: the first dimension of every input whose first dimension is symbolic. */
  batches?: number[];
  /** Number of concurrent workers (one session each per model). 1 runs on the main thread. */
  concurrency?: number[];
  /** ORT intra-op / inter-op thread counts; undefined leaves onnxruntime's default. */
  intraOpThreads?: number;
  interOpThreads?: number;
  warmup?: WarmupSpec;
  sample?: SampleSpec;
  /** "random" (default) or a directory of .pb TensorProto / .npy files. */
  inputs?: string;
  /** `--shape name=dims`: an input name with a full shape, or a symbolic dim name with one value. */
  shapes?: Record<string, number[]>;
  /** Interleaved rounds to aim for (more rounds: tighter, more honest CIs). Default: from the duration. */
  rounds?: number;
  /** Warm-up window length (auto warm-up). Default 100 ms. */
  windowMs?: number;
  /** Bootstrap resamples for CIs. Default 2000. */
  resamples?: number;
}

export interface ModelInfo {
  /** "baseline" is the reference model of an A/B run; "candidate" is MODEL. */
  role: "baseline" | "candidate";
  label: string;
  path: string;
  sha256: string;
  bytes: number;
  inputs: { name: string; dtype: string; shape: (number | string | null)[] | null }[];
  /** Session creation (load + graph optimization) on the first thread that created one. */
  sessionCreateMs: number;
}

export interface Interval {
  value: number;
  /** 95% bootstrap CI over interleaved rounds; null when there are too few rounds. */
  ci: [number, number] | null;
}

export interface LatencyStats {
  count: number;
  min: number;
  max: number;
  mean: number;
  stddev: number;
  /** Median absolute deviation from the median (unscaled; multiply by 1.4826 for a sigma estimate). */
  mad: number;
  median: Interval;
  p90: Interval;
  p95: Interval;
  p99: Interval;
  outliers: {
    /** Outside Tukey's fences Q1 - 1.5 IQR / Q3 + 1.5 IQR (severe: 3 IQR). */
    tukeyLow: number;
    tukeyHigh: number;
    tukeySevere: number;
    /** |x - median| > 3.5 * 1.4826 * MAD. */
    mad: number;
  };
}

export interface WarmupInfo {
  calls: number;
  ms: number;
  /** Median latency of each auto warm-up window, in ms. */
  windowMedians: number[];
  /** Auto warm-up: the last 3 windows agreed within 10%. Fixed warm-ups report true. */
  stable: boolean;
}

/** One model measured at one (batch, concurrency) configuration. */
export interface Measurement {
  role: "baseline" | "candidate";
  model: string;
  batch: number;
  concurrency: number;
  /** Latency of every inference call in ms, in the order taken (within a round: worker by worker). */
  samplesMs: number[];
  /** How many of samplesMs belong to each interleaved round, in order. */
  roundSizes: number[];
  /** Wall time of this model's block in each round (all workers), in ms. */
  roundWallMs: number[];
  warmup: WarmupInfo;
  latency: LatencyStats;
  throughput: { inferencesPerSec: Interval; samplesPerSec: Interval };
}

export interface RuntimeInfo {
  mlpack: string;
  onnxruntime: string;
  node: string;
  device: Device;
  executionProviders: string[];
  intraOpThreads: number | null;
  interOpThreads: number | null;
  graphOptimizationLevel: string;
}

export interface BenchReport {
  schema: "mlpack-bench";
  schemaVersion: 1;
  createdAt: string;
  runtime: RuntimeInfo;
  fingerprint: Fingerprint;
  settings: {
    warmup: string;
    sample: string;
    inputs: string;
    shapes: Record<string, number[]>;
    rounds: number;
    interleaved: boolean;
  };
  models: ModelInfo[];
  results: Measurement[];
  peakRssBytes: number;
  warnings: string[];
}

export interface BenchOutcome {
  report: BenchReport;
  /** Present with --baseline (a model or a JSON file). */
  comparison?: Comparison;
}
