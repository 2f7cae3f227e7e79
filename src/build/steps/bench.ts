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
import type { BuildStep } from "../types.js";
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

export const benchStep: BuildStep = {
  name: "bench",
  async run(ctx) {
    const b = ctx.config.bench;
    if (!b) return { status: "skipped", summary: "bench not configured" };
    if (!ctx.targets.includes("docker") && !ctx.targets.includes("lambda"))
      return {
        status: "skipped",
        summary: "bench measures onnxruntime; no docker or lambda target ships an onnxruntime model",
      };
    const [{ bench }, { collectFingerprint }, { parseShapes, parseSample, parseWarmup }, { writeBaseline }] =
      await Promise.all([
        import("../../bench/bench.js"),
        import("../../bench/fingerprint.js"),
        import("../../bench/options.js"),
        import("../../bench/baseline.js"),
      ]);
    if (b.iterations !== undefined && b.duration !== undefined)
      throw new UsageError("bench.iterations and bench.duration cannot both be set", {
        hint: "give a number of inferences or a time per model and configuration, not both",
      });
    let configured = b.baseline ? path.resolve(ctx.configDir, b.baseline) : undefined;
    let bootstrap: string | undefined;
    if (configured && !fs.existsSync(configured)) {
      // First run in CI: no cached baseline yet, and this build is the one that saves it.
      const saving = ctx.options.saveBaseline && path.resolve(ctx.options.saveBaseline) === configured;
      if (!saving)
        throw new UserError(`bench.baseline ${b.baseline} not found (${configured})`, {
          hint: "save one with `mlpack build --save-baseline FILE` (or `mlpack bench MODEL --save-baseline FILE`); passing the same path to --save-baseline measures without a gate the first time",
        });
      ctx.log.warn(
        `no baseline at ${configured} yet: measuring without a gate and saving this run as the baseline`,
      );
      bootstrap = configured;
      configured = undefined;
    }
    if (configured)
      checkConfigFile(ctx.configFile, "bench.baseline", configured, "baseline", MAX_PROTO_BYTES);
    const baseline = configured ?? (ctx.shippedModel !== ctx.sourceModel ? ctx.sourceModel : undefined);
    const gated = configured !== undefined;
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
    const key = hashJson({
      model: ctx.shippedSha256,
      baseline: baseline ? await ctx.cache.fileHash(baseline) : null,
      gated,
      options,
      fingerprint: collectFingerprint().id,
      v: ctx.mlpackVersion,
    });
    let summary = ctx.cache.get<BenchSummary>("bench", key);
    const cached = !!summary;
    if (!summary) {
      const configs = (b.batch?.length ?? 1) * (b.concurrency?.length ?? 1);
      let done = 0;
      const outcome = await bench(
        { model: ctx.shippedModel, baseline, ...options },
        {
          // One "measuring" line per (batch, concurrency) configuration: that is the progress bar.
          progress: (m) => {
            if (m.startsWith("measuring")) done++;
            ctx.log.progress(Math.max(0, done - 1) / configs, m);
          },
        },
      );
      summary = { report: outcome.report, comparison: outcome.comparison };
    }
    // A baseline is the shipped model's own measurements (not the float model it was compared with).
    if (ctx.options.saveBaseline && !(gated && summary.comparison?.failed))
      writeBaseline(path.resolve(ctx.options.saveBaseline), summary.report);
    const c = summary.comparison;
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
