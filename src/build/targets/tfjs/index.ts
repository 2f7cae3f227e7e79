/**
 * The tfjs target: a bundle (model.json + shards, tf.min.js, a loader and a demo page). It converts
 * the float model (onnxruntime's dynamic int8 form — MatMulInteger, DynamicQuantizeLinear — has no
 * TF.js kernels); weight compression for the browser is the target's own `quantize:
 * uint8|uint16|float16` setting, in the TF.js manifest format.
 */
import path from "node:path";
import { fmtMiB, shownPath } from "../../events.js";
import { defineTarget } from "../types.js";
import { tfjsInputShapes as inputShapes } from "./input-shapes.js";
import type { TfjsTargetConfig } from "./config.js";

export const tfjsTarget = defineTarget<TfjsTargetConfig>({
  name: "tfjs",
  ships: "float",
  validateFor: "tfjs",
  // The bundle copies tf.min.js from the installed @tensorflow/tfjs: it must be there.
  async preflight() {
    const { bundledTfjs } = await import("../../../artifacts/tfjs/bundle.js");
    return `@tensorflow/tfjs ${bundledTfjs().version}`;
  },
  // The input shapes fix the bundle's model.json and loader; tf.min.js is copied from the installed tfjs.
  async cacheKey({ ctx, config }) {
    const { bundledTfjs } = await import("../../../artifacts/tfjs/bundle.js");
    return { config, inputShapes: inputShapes(ctx) ?? null, tfjs: bundledTfjs().version };
  },
  async build({ ctx, config, model }) {
    const { buildTfjsBundle } = await import("../../../artifacts/tfjs/bundle.js");
    const out = path.join(ctx.outDir, "tfjs");
    const r = await buildTfjsBundle(model, out, { ...config, name: ctx.name, inputShapes: inputShapes(ctx) });
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
  summarize(a) {
    const d = a.details as { files: unknown[]; transposesAdded: number };
    return `${d.files.length} file(s), ${fmtMiB(a.bytes)}, ${d.transposesAdded} transpose(s) added → ${shownPath(a.path)}`;
  },
});
