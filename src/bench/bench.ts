/** The library API of `mlpack bench`: measure, then compare with the baseline (a model or a JSON file). */
import { UserError } from "../errors.js";
import { readBaseline } from "./baseline.js";
import { compareMeasurements, type CompareMetric } from "./gate.js";
import { runBench, type RunDeps } from "./run.js";
import type { BenchOptions, BenchOutcome, BenchReport } from "./types.js";

export interface BenchApiOptions extends Omit<BenchOptions, "baselineModel"> {
  /** A second model (measured interleaved with MODEL) or a baseline JSON file (ends in .json). */
  baseline?: string;
  /** Relative change that counts (0.1 = 10%). */
  threshold?: number;
  /** Metrics whose verdict decides the gate. Default ["median"]. */
  gate?: CompareMetric[];
  /** Fail the gate even when the baseline was measured on different hardware. */
  strict?: boolean;
  failOnInconclusive?: boolean;
}

export function isBaselineFile(baseline: string): boolean {
  return baseline.toLowerCase().endsWith(".json");
}

function runtimeNotes(base: BenchReport, cur: BenchReport): string[] {
  const notes: string[] = [];
  const r0 = base.runtime;
  const r1 = cur.runtime;
  if (r0.onnxruntime !== r1.onnxruntime) notes.push(`onnxruntime ${r0.onnxruntime} → ${r1.onnxruntime}`);
  if (r0.device !== r1.device) notes.push(`device ${r0.device} → ${r1.device}`);
  if (r0.intraOpThreads !== r1.intraOpThreads || r0.interOpThreads !== r1.interOpThreads)
    notes.push(
      `threads ${r0.intraOpThreads ?? "default"},${r0.interOpThreads ?? "default"} → ${r1.intraOpThreads ?? "default"},${r1.interOpThreads ?? "default"}`,
    );
  const h0 = base.models[0]?.sha256;
  const h1 = cur.models.find((m) => m.role === "candidate")?.sha256;
  if (h0 && h1 && h0 === h1) notes.push("the model file is identical to the baseline's");
  return notes;
}

export async function bench(opts: BenchApiOptions, deps: RunDeps = {}): Promise<BenchOutcome> {
  const file = opts.baseline !== undefined && isBaselineFile(opts.baseline) ? opts.baseline : undefined;
  // Read the baseline first: a missing or broken file should fail before minutes of measuring.
  const stored = file !== undefined ? readBaseline(file) : undefined;
  const report = await runBench(
    {
      ...opts,
      ...(opts.baseline !== undefined && file === undefined ? { baselineModel: opts.baseline } : {}),
    },
    deps,
  );
  if (opts.baseline === undefined) return { report };
  const candidate = report.results.filter((r) => r.role === "candidate");
  const common = {
    threshold: opts.threshold,
    gate: opts.gate,
    strict: opts.strict,
    failOnInconclusive: opts.failOnInconclusive,
    candidateLabel: report.models.find((m) => m.role === "candidate")!.label,
    candidateFingerprint: report.fingerprint,
    resamples: opts.resamples,
  };
  if (stored) {
    const comparison = compareMeasurements(stored.results, candidate, {
      ...common,
      mode: "stored",
      baselineLabel: stored.models[0]?.label ?? file!,
      baselineSource: file!,
      baselineFingerprint: stored.fingerprint,
      notes: runtimeNotes(stored, report),
    });
    if (comparison.entries.length === 0)
      throw new UserError(`${file}: no measurement matches this run's batch sizes and concurrency`, {
        hint: `the baseline has ${stored.results.map((r) => `batch ${r.batch}, concurrency ${r.concurrency}`).join("; ")}; run with the same --batch and --concurrency or save a new baseline`,
      });
    return { report, comparison };
  }
  const comparison = compareMeasurements(
    report.results.filter((r) => r.role === "baseline"),
    candidate,
    {
      ...common,
      mode: "interleaved",
      baselineLabel: report.models.find((m) => m.role === "baseline")!.label,
      baselineSource: opts.baseline,
      baselineFingerprint: report.fingerprint,
    },
  );
  return { report, comparison };
}
