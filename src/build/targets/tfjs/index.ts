/**
 * The tfjs target: a bundle (model.json + shards, tf.min.js, a loader and a demo page). It converts
 * the float model (onnxruntime's dynamic int8 form — MatMulInteger, DynamicQuantizeLinear — has no
 * TF.js kernels); weight compression for the browser is the target's own `quantize:
 * uint8|uint16|float16` setting, in the TF.js manifest format.
 */
import fs from "node:fs";
import path from "node:path";
import { fmtMiB, shownPath } from "../../events.js";
import { defineTarget } from "../types.js";
import type { StepContext } from "../../types.js";
import { UserError } from "../../../errors.js";
import { tfjsInputShapes as inputShapes } from "./input-shapes.js";
import type { TfjsTargetConfig } from "./config.js";

/** targets.tfjs.labels, resolved against the config file's folder. */
const labelsPath = (ctx: StepContext, config: TfjsTargetConfig) =>
  config.labels === undefined ? undefined : path.resolve(ctx.configDir, config.labels);

export const tfjsTarget = defineTarget<TfjsTargetConfig>({
  name: "tfjs",
  ships: "float",
  validateFor: "tfjs",
  // The bundle copies tf.min.js from the installed @tensorflow/tfjs: it must be there.
  async preflight({ ctx, config }) {
    const { bundledTfjs } = await import("../../../artifacts/tfjs/bundle.js");
    const labels = labelsPath(ctx, config);
    if (labels && !fs.existsSync(labels))
      throw new UserError(`targets.tfjs.labels: ${labels} does not exist`, {
        hint: "give a text file with one class label per line, relative to the config file",
      });
    return `@tensorflow/tfjs ${bundledTfjs().version}`;
  },
  // The input shapes fix the bundle's model.json and loader; tf.min.js is copied from the installed tfjs.
  async cacheKey({ ctx, config }) {
    const { bundledTfjs } = await import("../../../artifacts/tfjs/bundle.js");
    const labels = labelsPath(ctx, config);
    return {
      config,
      inputShapes: inputShapes(ctx) ?? null,
      tfjs: bundledTfjs().version,
      // The file's contents (the path is in `config`); a missing file fails in preflight.
      labels: labels && fs.existsSync(labels) ? fs.readFileSync(labels, "utf8") : null,
    };
  },
  async build({ ctx, config, model }) {
    const { buildTfjsBundle } = await import("../../../artifacts/tfjs/bundle.js");
    const out = path.join(ctx.outDir, "tfjs");
    const r = await buildTfjsBundle(model, out, {
      ...config,
      name: ctx.name,
      inputShapes: inputShapes(ctx),
      labels: labelsPath(ctx, config),
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
  summarize(a) {
    const d = a.details as { files: unknown[]; transposesAdded: number };
    return `${d.files.length} file(s), ${fmtMiB(a.bytes)}, ${d.transposesAdded} transpose(s) added → ${shownPath(a.path)}`;
  },
});
