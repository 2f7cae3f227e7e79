/**
 * The TF.js target: a bundle (model.json + shards, tf.min.js, a loader and a demo page). It converts the float model (onnxruntime's dynamic int8 form — MatMulInteger,
 * DynamicQuantizeLinear — has no TF.js kernels); weight compression for the browser is the target's
 * own `quantize: uint8|uint16|float16` setting, in the TF.js manifest format.
 */
import path from "node:path";
import type { BuildStep } from "../types.js";
import { cachedArtifact } from "./cached-artifact.js";
import { fmtMiB, shownPath } from "../events.js";

/** `name=1,3,224,224` entries (bench.shapes) that name a whole input: the demo page's feed shapes. */
function inputShapes(list: string[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const s of list) {
    const [name, dims] = s.split("=");
    if (name && dims && dims.includes(",")) out[name] = dims.split(",").map(Number);
  }
  return out;
}

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
        const { buildTfjsBundle } = await import("../../artifacts/tfjs/bundle.js");
        const shapes = ctx.config.bench ? ctx.config.bench.shapes : undefined;
        const r = await buildTfjsBundle(ctx.sourceModel, out, {
          ...t,
          name: ctx.name,
          inputShapes: shapes ? inputShapes(shapes) : undefined,
        });
        const c = r.conversion;
        return {
          artifact: {
            target: "tfjs",
            kind: "tfjs-bundle",
            path: out,
            bytes: r.totalBytes,
            details: {
              files: r.files,
              tfjsVersion: r.tfjsVersion,
              transposesAdded: c.transposesAdded,
              tfNodes: c.tfNodes,
              quantize: c.quantize ?? null,
              inputs: c.inputs,
              outputs: c.outputs,
            },
          },
          outputs: [out],
        };
      },
    );
    const d = artifact.details as { files: unknown[]; transposesAdded: number };
    return {
      status: cached ? "cached" : "ok",
      summary: `${d.files.length} file(s), ${fmtMiB(artifact.bytes)}, ${d.transposesAdded} transpose(s) added → ${shownPath(artifact.path)}`,
    };
  },
};
