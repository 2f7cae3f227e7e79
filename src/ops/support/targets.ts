/** The targets `validate --target` knows, loaded on demand (their tables are big). */
import type { TargetSupport } from "./types.js";
import { UsageError } from "../../errors.js";

export const TARGET_IDS = ["ort-cpu", "ort-cuda", "tfjs"] as const;
export type TargetId = (typeof TARGET_IDS)[number];

export async function loadTarget(id: string): Promise<TargetSupport> {
  switch (id) {
    case "ort-cpu":
      return (await import("./ort-cpu.js")).ortCpuSupport;
    case "ort-cuda":
      return (await import("./ort-cpu.js")).ortCudaSupport;
    case "tfjs":
      // Derived from the TF.js converter's own mapper tables, so validate never refuses what converts.
      return (await import("./tfjs.js")).tfjsSupport;
    default:
      throw new UsageError(`unknown target "${id}"`, { hint: `choose one of: ${TARGET_IDS.join(", ")}` });
  }
}
