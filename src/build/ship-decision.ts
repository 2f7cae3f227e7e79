/**
 * Which model docker and lambda ship when the build quantized it: int8, unless the benchmark showed
 * it slower than the float model (the median's confidence interval above 1 in some measured
 * configuration) while saving less size than quantize.minSizeGain — then the float model, said out
 * loud, or, with quantize.require, a failed build (exit 3). Pure: the ship step feeds it the figures.
 */
import type { Comparison } from "../bench/gate.js";

/** Default quantize.minSizeGain: an int8 model that is slower must at least halve the size. */
export const DEFAULT_MIN_SIZE_GAIN = 0.5;

export interface SlowerEntry {
  batch: number;
  concurrency: number;
  ratio: number;
  ci: [number, number];
}

export interface ShipDecision {
  model: "quantized" | "float";
  reason: string;
  /** int8 size / float size, and the floor on 1 - sizeRatio that makes a slower int8 model worth it. */
  sizeRatio: number;
  minSizeGain: number;
  /** Median int8/float ratios per configuration (with the bootstrap CI), when measured. */
  speed?: { batch: number; concurrency: number; ratio: number; ci: [number, number] | null }[];
  /** The configurations where int8 was slower with confidence (CI above 1). */
  slower: SlowerEntry[];
  /** True when int8 had to ship (quantize.require) but does not qualify: the build fails. */
  refused?: boolean;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/**
 * `comparison`: int8 (candidate) against float (baseline), interleaved; undefined when the build did
 * not measure that (no bench section, or bench.baseline is set and gates against it instead).
 */
export function decideShip(opts: {
  sizeRatio: number;
  comparison?: Comparison;
  minSizeGain?: number;
  require?: boolean;
  /** Layers the quantize step quantized; 0 means the "int8" model computes exactly as the float one. */
  quantizedLayers?: number;
}): ShipDecision {
  const minSizeGain = opts.minSizeGain ?? DEFAULT_MIN_SIZE_GAIN;
  const gain = 1 - opts.sizeRatio;
  const base = { sizeRatio: opts.sizeRatio, minSizeGain };
  if (opts.quantizedLayers === 0) {
    const why = "no layer was quantized (see the quantize report's skipped layers)";
    if (opts.require) return { ...base, model: "quantized", slower: [], refused: true, reason: why };
    return { ...base, model: "float", slower: [], reason: `float: ${why}` };
  }
  const medians = opts.comparison?.entries.filter((e) => e.metric === "median") ?? [];
  if (!opts.comparison || medians.length === 0)
    return {
      ...base,
      model: "quantized",
      slower: [],
      reason: "int8: not compared with the float model (no bench, or bench.baseline gates instead)",
    };
  const speed = medians.map((e) => ({
    batch: e.batch,
    concurrency: e.concurrency,
    ratio: e.ratio,
    ci: e.ci,
  }));
  const slower = medians
    .filter((e): e is typeof e & { ci: [number, number] } => e.ci !== null && e.ci[0] > 1)
    .map((e) => ({ batch: e.batch, concurrency: e.concurrency, ratio: e.ratio, ci: e.ci }));
  if (slower.length === 0)
    return {
      ...base,
      model: "quantized",
      speed,
      slower,
      reason: `int8: not slower than float, ${pct(gain)} smaller`,
    };
  const where = slower
    .map(
      (e) =>
        `batch ${e.batch}${e.concurrency > 1 ? ` ×${e.concurrency}` : ""}: median ×${e.ratio.toFixed(3)}`,
    )
    .join(", ");
  if (gain >= minSizeGain)
    return {
      ...base,
      model: "quantized",
      speed,
      slower,
      reason: `int8 although slower (${where}): ${pct(gain)} smaller, at least quantize.minSizeGain ${pct(minSizeGain)}`,
    };
  const why = `int8 is slower than float (${where}) and only ${pct(gain)} smaller (quantize.minSizeGain ${pct(minSizeGain)})`;
  if (opts.require) return { ...base, model: "quantized", speed, slower, refused: true, reason: why };
  return { ...base, model: "float", speed, slower, reason: `float: ${why}` };
}
