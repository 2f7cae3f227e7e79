/**
 * After the benchmark: which model the targets that ship the onnxruntime model get (see
 * ship-decision.ts). In the plan whenever the quantize step runs; recorded in the manifest as `ship`.
 */
import { GateFailedError } from "../../errors.js";
import { decideShip } from "../ship-decision.js";
import type { BuildStep } from "../types.js";
import { quantizeStep } from "./quantize.js";

export const shipStep: BuildStep = {
  name: "ship",
  applies: (ctx) => quantizeStep.applies?.(ctx) === true,
  async run(ctx) {
    const q = ctx.config.quantize || {};
    if (ctx.quantizedSizeRatio === undefined)
      throw new Error("ship: the quantize step records the size ratio");
    const d = decideShip({
      sizeRatio: ctx.quantizedSizeRatio,
      comparison: ctx.floatComparison,
      minSizeGain: q.minSizeGain,
      require: q.require,
      quantizedLayers: ctx.quantizedLayers,
    });
    ctx.manifest.ship = d;
    if (d.refused)
      throw new GateFailedError(`quantize.require is on, but ${d.reason}`, {
        hint: "ship the float model (drop quantize.require), lower quantize.minSizeGain, or quantize differently (static mode, perChannel, exclude the layers that cost time)",
      });
    if (d.model === "float") {
      ctx.shippedModel = ctx.sourceModel;
      ctx.shippedSha256 = ctx.sourceSha256;
    }
    return { status: "ok", summary: d.reason };
  },
};
