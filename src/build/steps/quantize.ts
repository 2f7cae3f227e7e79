/** Step 2 (optional): int8 quantization with its accuracy report and gate (exit 3 past maxAccuracyDrop). */
import path from "node:path";
import fs from "node:fs";
import { GateFailedError, UserError } from "../../errors.js";
import { hashJson, listFiles } from "../cache.js";
import type { BuildStep, StepContext } from "../types.js";
import { noQuantizedTarget } from "./target-step.js";

interface QuantizeSummary {
  output: string;
  mode: string;
  sizeRatio: number;
  drop: number;
  cosine: number;
  quantizedLayers: number;
  layers: number;
  report: Record<string, unknown>;
}

const rel = (dir: string, p: string | undefined) => (p === undefined ? undefined : path.resolve(dir, p));

const outputOf = (ctx: StepContext) => path.join(ctx.outDir, `${ctx.name}.int8.onnx`);

/**
 * The whole quantize section (a key added later is covered without touching this), the contents of
 * the calibration and eval files or folders, the source model and where the result goes.
 */
async function quantizeKey(ctx: StepContext): Promise<unknown> {
  const q = ctx.config.quantize || {};
  const data = (p: string | undefined) =>
    p?.startsWith("random:") ? p : ctx.cache.contentId(rel(ctx.configDir, p));
  return {
    model: ctx.sourceSha256,
    // What the ship step decides from (not how the model is quantized) is left out.
    quantize: { ...q, minSizeGain: undefined, require: undefined },
    calibration: await data(q.calibration),
    eval: await data(q.eval),
    output: path.basename(outputOf(ctx)),
    v: ctx.mlpackVersion,
  };
}

export const quantizeStep: BuildStep = {
  name: "quantize",
  applies: (ctx) =>
    !ctx.config.quantize
      ? "quantize not configured: shipping the float model"
      : (noQuantizedTarget(ctx) ?? true),
  cacheKey: quantizeKey,
  // Calibration and eval samples are read after minutes of work otherwise: they must exist now.
  async preflight(ctx) {
    const q = ctx.config.quantize || {};
    const notes: string[] = [];
    for (const [key, p] of [
      ["calibration", q.calibration],
      ["eval", q.eval],
    ] as const) {
      if (p === undefined || p.startsWith("random:")) continue;
      const abs = path.resolve(ctx.configDir, p);
      if (!fs.existsSync(abs))
        throw new UserError(`quantize.${key} ${p} not found (${abs})`, {
          hint: `point quantize.${key} at a folder or file of samples (relative to the config file), or use random:N`,
        });
      if (fs.statSync(abs).isDirectory() && listFiles(abs).length === 0)
        throw new UserError(`quantize.${key} ${p} is an empty folder (${abs})`, {
          hint: `put sample files in it, or use random:N`,
        });
      notes.push(`${key} ${p}`);
    }
    return notes.join(", ") || undefined;
  },
  async run(ctx) {
    const q = ctx.config.quantize;
    if (!q) throw new Error("quantize: applies() checks the config");
    const output = outputOf(ctx);
    const options = {
      mode: q.mode ?? "dynamic",
      calibration: q.calibration?.startsWith("random:") ? q.calibration : rel(ctx.configDir, q.calibration),
      method: q.method ?? "minmax",
      eval: q.eval?.startsWith("random:") ? q.eval : rel(ctx.configDir, q.eval),
      perChannel: q.perChannel ?? false,
      reduceRange: q.reduceRange,
      symmetricActivations: q.symmetricActivations ?? false,
      exclude: q.exclude ?? [],
      include: q.include ?? [],
      shapes: q.shapes ?? [],
      maxAccuracyDrop: q.maxAccuracyDrop,
      autoExclude: q.autoExclude ?? false,
      allowRandomGate: q.allowRandomGate ?? false,
      samples: q.samples,
    };
    const key = hashJson(await quantizeKey(ctx));
    let summary = ctx.cache.get<QuantizeSummary>("quantize", key);
    const cached = !!summary;
    if (!summary) {
      const { quantize } = await import("../../passes/quantize/quantize.js");
      ctx.log.progress(undefined, `${options.mode} int8`);
      const report = await quantize(ctx.sourceModel, output, { ...options, logger: ctx.log });
      const worst = report.accuracy.outputs.reduce((m, o) => Math.min(m, o.cosine), 1);
      summary = {
        output,
        mode: report.mode,
        sizeRatio: report.size.ratio,
        drop: report.accuracy.drop,
        cosine: worst,
        quantizedLayers: report.quantizedLayers,
        layers: report.layers.length,
        report: report as unknown as Record<string, unknown>,
      };
      for (const w of report.warnings) ctx.log.warn(w);
      ctx.manifest.quantize = summary.report;
      if (report.gate && !report.gate.passed)
        throw new GateFailedError(
          `accuracy gate failed: accuracy drop ${report.accuracy.drop.toFixed(5)} exceeds quantize.maxAccuracyDrop ${report.gate.maxAccuracyDrop}`,
          {
            hint: "raise quantize.maxAccuracyDrop, set quantize.autoExclude: true, or exclude sensitive layers",
          },
        );
      ctx.cache.put("quantize", key, summary, [output]);
    }
    ctx.manifest.quantize = summary.report;
    ctx.quantizedSizeRatio = summary.sizeRatio;
    ctx.quantizedLayers = summary.quantizedLayers;
    ctx.shippedModel = ctx.resolve(summary.output);
    ctx.shippedSha256 = await ctx.cache.fileHash(ctx.shippedModel);
    return {
      status: cached ? "cached" : "ok",
      summary: `${summary.mode}: ${summary.quantizedLayers} of ${summary.layers} layer(s) quantized, size ${summary.sizeRatio.toFixed(3)}x, cosine ${summary.cosine.toFixed(5)}, drop ${summary.drop.toFixed(5)}`,
    };
  },
};
