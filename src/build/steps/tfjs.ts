/**
 * The TF.js target. It converts the float model (onnxruntime's dynamic int8 form — MatMulInteger,
 * DynamicQuantizeLinear — has no TF.js kernels); weight compression for the browser is the target's
 * own `quantize: uint8|uint16|float16` setting, in the TF.js manifest format.
 */
import path from "node:path";
import type { BuildStep } from "../types.js";
import { cachedArtifact } from "./cached-artifact.js";

export const tfjsStep: BuildStep = {
  name: "tfjs",
  async run(ctx) {
    const t = ctx.config.targets.tfjs!;
    const out = path.join(ctx.outDir, "tfjs");
    const { artifact, cached } = await cachedArtifact(
      { ...ctx, shippedSha256: ctx.sourceSha256 },
      "tfjs",
      { t },
      async () => {
        const { convertToTfjs } = await import("../../convert/tfjs/convert.js");
        const r = await convertToTfjs(ctx.sourceModel, out, {
          quantize: t.quantize,
          keepLayout: t.keepLayout,
          metadata: { name: ctx.name, version: ctx.version },
        });
        return {
          artifact: {
            target: "tfjs",
            kind: "tfjs-graph-model",
            path: out,
            bytes: r.files.reduce((s, f) => s + f.bytes, 0),
            details: {
              files: r.files,
              transposesAdded: r.transposesAdded,
              tfNodes: r.tfNodes,
              quantize: r.quantize ?? null,
              inputs: r.inputs,
              outputs: r.outputs,
            },
          },
          outputs: [out],
        };
      },
    );
    const d = artifact.details as { files: unknown[]; transposesAdded: number };
    return {
      status: cached ? "cached" : "ok",
      summary: `${d.files.length} file(s), ${(artifact.bytes / 2 ** 20).toFixed(1)} MiB, ${d.transposesAdded} transpose(s) added → ${artifact.path}`,
    };
  },
};
