/**
 * Compare → verdicts (pure). A metric regressed only when the whole 95% CI of the ratio
 * candidate / baseline is worse than the threshold; a CI inside ±threshold is "unchanged"; a CI that
 * crosses a threshold line says the data cannot tell ("inconclusive"), which is printed, not failed.
 */
import { bootstrapRatios, clusterRounds, pairedRoundRatios, type Metric } from "./bootstrap.js";
import { diffFingerprints, type Fingerprint } from "./fingerprint.js";
import type { Measurement } from "./types.js";

export type Verdict = "regressed" | "improved" | "unchanged" | "inconclusive";
export type CompareMetric = "median" | "p95" | "throughput";
export const COMPARE_METRICS: readonly CompareMetric[] = ["median", "p95", "throughput"];
export type Direction = "lower-is-better" | "higher-is-better";

export const DEFAULT_THRESHOLD = 0.1;

export function directionOf(metric: CompareMetric): Direction {
  return metric === "throughput" ? "higher-is-better" : "lower-is-better";
}

/**
 * Lower-is-better (latency): regressed when CI low > 1 + t, improved when CI high < 1 - t.
 * Higher-is-better (throughput): regressed when CI high < 1 - t, improved when CI low > 1 + t.
 * Unchanged when the CI lies within [1 - t, 1 + t]; otherwise inconclusive (also with no CI).
 */
export function verdictFor(ci: [number, number] | null, threshold: number, direction: Direction): Verdict {
  if (!ci || !Number.isFinite(ci[0]) || !Number.isFinite(ci[1])) return "inconclusive";
  const [lo, hi] = ci;
  const worse = direction === "lower-is-better" ? lo > 1 + threshold : hi < 1 - threshold;
  const better = direction === "lower-is-better" ? hi < 1 - threshold : lo > 1 + threshold;
  if (worse) return "regressed";
  if (better) return "improved";
  if (lo >= 1 - threshold && hi <= 1 + threshold) return "unchanged";
  return "inconclusive";
}

export interface ComparisonEntry {
  batch: number;
  concurrency: number;
  metric: CompareMetric;
  direction: Direction;
  /** Latency metrics in ms; throughput in inferences/s. */
  baseline: number;
  candidate: number;
  /** candidate / baseline. */
  ratio: number;
  ci: [number, number] | null;
  verdict: Verdict;
  /** Whether this metric decides the exit code (--gate). */
  gated: boolean;
}

export interface Comparison {
  /** "interleaved": two models measured A/B/A/B in one run (paired bootstrap); "stored": a baseline JSON. */
  mode: "interleaved" | "stored";
  baseline: { label: string; source: string };
  candidate: { label: string };
  threshold: number;
  gate: CompareMetric[];
  failOnInconclusive: boolean;
  strict: boolean;
  /** The hardware differs and --strict is off: verdicts are reported, but the gate cannot fail. */
  advisory: boolean;
  fingerprintDifferences: string[];
  notes: string[];
  entries: ComparisonEntry[];
  counts: Record<Verdict, number>;
  /** The gate outcome: true means exit code 3. */
  failed: boolean;
}

export interface CompareOptions {
  mode: "interleaved" | "stored";
  baselineLabel: string;
  baselineSource: string;
  candidateLabel: string;
  threshold?: number;
  gate?: CompareMetric[];
  failOnInconclusive?: boolean;
  strict?: boolean;
  baselineFingerprint: Fingerprint;
  candidateFingerprint: Fingerprint;
  /** Extra notes from the caller (e.g. a different onnxruntime version). */
  notes?: string[];
  resamples?: number;
  seed?: number;
}

const key = (m: { batch: number; concurrency: number }) => `${m.batch}/${m.concurrency}`;

export function compareMeasurements(
  baseline: readonly Measurement[],
  candidate: readonly Measurement[],
  opts: CompareOptions,
): Comparison {
  const threshold = opts.threshold ?? DEFAULT_THRESHOLD;
  const gate = opts.gate ?? ["median"];
  const strict = opts.strict ?? false;
  const fingerprintDifferences = diffFingerprints(opts.baselineFingerprint, opts.candidateFingerprint);
  const advisory = fingerprintDifferences.length > 0 && !strict;
  const notes = [...(opts.notes ?? [])];
  const byKey = new Map(baseline.map((m) => [key(m), m]));
  const entries: ComparisonEntry[] = [];
  for (const cand of candidate) {
    const base = byKey.get(key(cand));
    if (!base) {
      notes.push(`no baseline for batch ${cand.batch}, concurrency ${cand.concurrency}: not compared`);
      continue;
    }
    const boot = { resamples: opts.resamples, seed: opts.seed };
    const paired = opts.mode === "interleaved" && base.roundSizes.length === cand.roundSizes.length;
    const ratios = paired
      ? pairedRoundRatios(base, cand, COMPARE_METRICS as Metric[], boot)
      : bootstrapRatios(clusterRounds(base), clusterRounds(cand), COMPARE_METRICS as Metric[], {
          ...boot,
          paired: false,
        });
    for (const metric of COMPARE_METRICS) {
      const r = ratios[metric];
      const direction = directionOf(metric);
      entries.push({
        batch: cand.batch,
        concurrency: cand.concurrency,
        metric,
        direction,
        baseline: metricOf(base, metric),
        candidate: metricOf(cand, metric),
        ratio: r.value,
        ci: r.ci,
        verdict: verdictFor(r.ci, threshold, direction),
        gated: gate.includes(metric),
      });
    }
  }
  for (const base of baseline)
    if (!candidate.some((c) => key(c) === key(base)))
      notes.push(
        `baseline has batch ${base.batch}, concurrency ${base.concurrency}, which was not measured now`,
      );
  const counts: Record<Verdict, number> = { regressed: 0, improved: 0, unchanged: 0, inconclusive: 0 };
  for (const e of entries) if (e.gated) counts[e.verdict]++;
  const failing = counts.regressed > 0 || (opts.failOnInconclusive === true && counts.inconclusive > 0);
  return {
    mode: opts.mode,
    baseline: { label: opts.baselineLabel, source: opts.baselineSource },
    candidate: { label: opts.candidateLabel },
    threshold,
    gate,
    failOnInconclusive: opts.failOnInconclusive ?? false,
    strict,
    advisory,
    fingerprintDifferences,
    notes,
    entries,
    counts,
    failed: failing && !advisory && entries.length > 0,
  };
}

function metricOf(m: Measurement, metric: CompareMetric): number {
  if (metric === "throughput") return m.throughput.inferencesPerSec.value;
  return m.latency[metric].value;
}

/** "+24.8%" for a ratio of 1.248. */
export function formatChange(ratio: number): string {
  const pct = (ratio - 1) * 100;
  return `${pct >= 0 ? "+" : ""}${pct.toFixed(1)}%`;
}

/** One line per gated entry that made the gate fail, for the error message. */
export function describeFailures(c: Comparison): string[] {
  return c.entries
    .filter(
      (e) => e.gated && (e.verdict === "regressed" || (c.failOnInconclusive && e.verdict === "inconclusive")),
    )
    .map((e) => {
      const ci = e.ci ? ` (95% CI ${formatChange(e.ci[0])} … ${formatChange(e.ci[1])})` : "";
      return `batch ${e.batch}, concurrency ${e.concurrency}: ${e.metric} ${formatChange(e.ratio)}${ci}, ${e.verdict}`;
    });
}
