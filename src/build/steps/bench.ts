/**
 * Step 3 (optional): the performance gate. Against bench.baseline (a saved baseline JSON or another
 * model, measured interleaved) a regression fails the build with exit 3 before any artifact is pushed.
 * Without a baseline, a quantized model is measured against the float one (advisory: it reports the
 * speed-up, it does not gate), and a float model is just measured.
 */
import fs from "node:fs";
import path from "node:path";
import { GateFailedError, UsageError, UserError } from "../../errors.js";
import { hashJson } from "../cache.js";
import type { BuildStep, StepContext } from "../types.js";
import { noQuantizedTarget } from "./target-step.js";
import type { Comparison } from "../../bench/gate.js";
import { checkConfigFile } from "../../config/paths.js";
import { MAX_PROTO_BYTES } from "../../onnx/read.js";
import type { BenchReport } from "../../bench/types.js";

/** What is cached; whether it gates is part of the cache key, not of the entry. */
interface BenchSummary {
  comparison?: Comparison;
  report: BenchReport;
}

function describe(
  c: Comparison | undefined,
  report: BenchReport,
  gated: boolean,
  bootstrap: string | undefined,
): string {
  const saved = bootstrap ? `; no baseline yet: saved this run as ${path.basename(bootstrap)}` : "";
  if (!c) {
    const m = report.results[0];
    return (
      (m
        ? `median ${m.latency.median.value.toFixed(3)} ms (batch ${m.batch}, concurrency ${m.concurrency})`
        : "measured") + saved
    );
  }
  const parts = c.entries
    .filter((e) => e.metric === "median")
    .map(
      (e) =>
        `batch ${e.batch}${e.concurrency > 1 ? ` ×${e.concurrency}` : ""}: median ×${e.ratio.toFixed(3)} ${e.verdict}`,
    );
  const how = gated
    ? c.advisory
      ? " (advisory: the baseline is from other hardware)"
      : ""
    : bootstrap
      ? ` (not gated${saved})`
      : " (not gated: set bench.baseline to gate)";
  return `${c.candidate.label} vs ${c.baseline.label}: ${parts.join(", ")}${how}`;
}

/**
 * What the shipped model is measured against: bench.baseline (gated), or — when it is missing and
 * this build saves it (--save-baseline to the same path) — nothing the first time; else the float
 * model when the shipped one is quantized (advisory).
 */
function baselineOf(ctx: StepContext): { baseline?: string; gated: boolean; bootstrap?: string } {
  const b = ctx.config.bench || {};
  const configured = b.baseline ? path.resolve(ctx.configDir, b.baseline) : undefined;
  const float = ctx.shippedModel !== ctx.sourceModel ? ctx.sourceModel : undefined;
  if (!configured) return { baseline: float, gated: false };
  if (fs.existsSync(configured)) {
    checkConfigFile(ctx.configFile, "bench.baseline", configured, "baseline", MAX_PROTO_BYTES);
    return { baseline: configured, gated: true };
  }
  // First run in CI: no cached baseline yet, and this build is the one that saves it.
  const saving = ctx.options.saveBaseline && path.resolve(ctx.options.saveBaseline) === configured;
  if (!saving)
    throw new UserError(`bench.baseline ${b.baseline} not found (${configured})`, {
      hint: "save one with `mlpack build --save-baseline FILE` (or `mlpack bench MODEL --save-baseline FILE`); passing the same path to --save-baseline measures without a gate the first time",
    });
  return { baseline: float, gated: false, bootstrap: configured };
}

/** The shipped model, what it is compared with, the whole bench section and this machine. */
async function benchKey(ctx: StepContext): Promise<unknown> {
  const { collectFingerprint } = await import("../../bench/fingerprint.js");
  const { baseline, gated } = baselineOf(ctx);
  return {
    model: ctx.shippedSha256,
    // The report names both models by file name.
    files: [path.basename(ctx.shippedModel), baseline && path.basename(baseline)],
    baseline: await ctx.cache.contentId(baseline),
    gated,
    bench: ctx.config.bench,
    fingerprint: collectFingerprint().id,
    v: ctx.mlpackVersion,
  };
}

export const benchStep: BuildStep = {
  name: "bench",
  applies(ctx) {
    if (!ctx.config.bench) return "bench not configured";
    const none = noQuantizedTarget(ctx);
    return none ? `bench measures onnxruntime; ${none}` : true;
  },
  cacheKey: benchKey,
  // A missing baseline fails now, not after quantizing.
  async preflight(ctx) {
    const b = ctx.config.bench || {};
    if (b.iterations !== undefined && b.duration !== undefined)
      throw new UsageError("bench.iterations and bench.duration cannot both be set", {
        hint: "give a number of inferences or a time per model and configuration, not both",
      });
    const { gated, bootstrap } = baselineOf(ctx);
    if (bootstrap) return `baseline ${b.baseline} saved by this build`;
    return gated ? `baseline ${b.baseline}` : undefined;
  },
  async run(ctx) {
    const b = ctx.config.bench;
    if (!b) throw new Error("bench: applies() checks the config");
    const [{ bench }, { parseShapes, parseSample, parseWarmup }, { writeBaseline }] = await Promise.all([
      import("../../bench/bench.js"),
      import("../../bench/options.js"),
      import("../../bench/baseline.js"),
    ]);
    const { baseline, gated, bootstrap } = baselineOf(ctx);
    if (bootstrap)
      ctx.log.warn(
        `no baseline at ${bootstrap} yet: measuring without a gate and saving this run as the baseline`,
      );
    const options = {
      batches: b.batch,
      concurrency: b.concurrency,
      sample: parseSample(b.iterations?.toString(), b.duration),
      warmup: b.warmup !== undefined ? parseWarmup(b.warmup) : undefined,
      gate: b.gate,
      intraOpThreads: b.intraOpThreads,
      interOpThreads: b.interOpThreads,
      shapes: b.shapes ? parseShapes(b.shapes) : undefined,
      threshold: b.threshold,
      strict: b.strict ?? false,
      failOnInconclusive: b.failOnInconclusive ?? false,
    };
    const key = hashJson(await benchKey(ctx));
    let summary = ctx.cache.get<BenchSummary>("bench", key);
    const cached = !!summary;
    if (!summary) {
      const outcome = await bench(
        { model: ctx.shippedModel, baseline, ...options },
        {
          progress: (message) => ctx.log.progress(undefined, message),
          onFraction: (fraction) => ctx.log.progress(fraction),
        },
      );
      summary = { report: outcome.report, comparison: outcome.comparison };
    }
    // A baseline is the shipped model's own measurements (not the float model it was compared with).
    if (ctx.options.saveBaseline && !(gated && summary.comparison?.failed))
      writeBaseline(path.resolve(ctx.options.saveBaseline), summary.report);
    const c = summary.comparison;
    if (!gated && baseline === ctx.sourceModel) ctx.floatComparison = c;
    const { renderMarkdown } = await import("../../bench/report/markdown.js");
    ctx.benchMarkdown = renderMarkdown(summary.report, c);
    ctx.manifest.bench = {
      baseline: baseline ?? null,
      gated,
      verdicts: c?.entries.map((e) => ({
        batch: e.batch,
        concurrency: e.concurrency,
        metric: e.metric,
        ratio: e.ratio,
        ci: e.ci,
        verdict: e.verdict,
        gated: e.gated,
      })),
      advisory: c?.advisory,
      failed: gated ? (c?.failed ?? false) : false,
      results: summary.report.results.map((m) => ({
        model: m.model,
        role: m.role,
        batch: m.batch,
        concurrency: m.concurrency,
        medianMs: m.latency.median.value,
        p95Ms: m.latency.p95.value,
        inferencesPerSec: m.throughput.inferencesPerSec.value,
      })),
      fingerprint: summary.report.fingerprint.id,
      // The kubernetes target sizes memory from it.
      peakRssBytes: summary.report.peakRssBytes,
    };
    if (gated && c?.failed) {
      const { describeFailures } = await import("../../bench/gate.js");
      throw new GateFailedError(`performance gate failed: ${describeFailures(c).join("; ")}`, {
        hint: "the model got slower than the baseline; if that is intended, save a new baseline with `mlpack build --save-baseline FILE`",
      });
    }
    if (!cached) ctx.cache.put("bench", key, summary, []);
    return { status: cached ? "cached" : "ok", summary: describe(c, summary.report, gated, bootstrap) };
  },
};
