/** Step 2 (optional): int8 quantization with its accuracy report and gate (exit 3 past maxAccuracyDrop). */
import fs from "node:fs";
import path from "node:path";
import { GateFailedError } from "../../errors.js";
import { hashJson } from "../cache.js";
import type { BuildStep } from "../types.js";
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

export const quantizeStep: BuildStep = {
  name: "quantize",
  applies: (ctx) =>
    !ctx.config.quantize
      ? "quantize not configured: shipping the float model"
      : (noQuantizedTarget(ctx) ?? true),
  async run(ctx) {
    const q = ctx.config.quantize;
    if (!q) throw new Error("quantize: applies() checks the config");
    const output = path.join(ctx.outDir, `${ctx.name}.int8.onnx`);
    const options = {
      mode: q.mode ?? "dynamic",
      calibration: q.calibration?.startsWith("random:") ? q.calibration : rel(ctx.configDir, q.calibration),
      method: q.method ?? "minmax",
      eval: q.eval?.startsWith("random:") ? q.eval : rel(ctx.configDir, q.eval),
      perChannel: q.perChannel ?? false,
      reduceRange: q.reduceRange ?? false,
      symmetricActivations: q.symmetricActivations ?? false,
      exclude: q.exclude ?? [],
      include: q.include ?? [],
      shapes: q.shapes ?? [],
      maxAccuracyDrop: q.maxAccuracyDrop,
      autoExclude: q.autoExclude ?? false,
    };
    const dataHashes = await Promise.all(
      [options.calibration, options.eval]
        .filter(
          (p): p is string => !!p && !p.startsWith("random:") && fs.existsSync(p) && fs.statSync(p).isFile(),
        )
        .map((p) => ctx.cache.fileHash(p)),
    );
    const key = hashJson({ model: ctx.sourceSha256, options, dataHashes, v: ctx.mlpackVersion });
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
    ctx.shippedModel = summary.output;
    ctx.shippedSha256 = await ctx.cache.fileHash(summary.output);
    return {
      status: cached ? "cached" : "ok",
      summary: `${summary.mode}: ${summary.quantizedLayers} of ${summary.layers} layer(s) quantized, size ${summary.sizeRatio.toFixed(3)}x, cosine ${summary.cosine.toFixed(5)}, drop ${summary.drop.toFixed(5)}`,
    };
  },
};
