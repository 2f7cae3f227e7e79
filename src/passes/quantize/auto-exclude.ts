/**
 * Per-layer sensitivity and auto-exclusion, bounded. The whole model is checked first (by the
 * caller); only when it misses the gate (or --per-layer asks) is each layer measured alone, on a
 * small subset of the evaluation samples. Then the most sensitive layers are kept in float in
 * doubling steps (1, 2, 4, ...) and the count is narrowed by bisection: O(log n) full evaluations
 * instead of one per layer.
 */
import type { ModelProto } from "../../onnx/proto.js";
import { accuracyDrop, type OutputAccuracy } from "./accuracy.js";
import type { Logger } from "../../log.js";

/** Samples the per-layer pass uses: enough to rank layers, few enough to stay fast. */
export const PER_LAYER_SAMPLES = 4;

export interface LayerEffect {
  node: string;
  /** Accuracy drop (see accuracyDrop) with only this layer quantized. */
  drop: number;
  cosine: number;
}

export async function measureLayers(
  names: readonly string[],
  buildAlone: (name: string) => ModelProto,
  evaluateSubset: (p: ModelProto) => Promise<OutputAccuracy[]>,
  log: Logger,
): Promise<LayerEffect[]> {
  const effects: LayerEffect[] = [];
  for (const [i, name] of names.entries()) {
    log.progress?.(i / names.length, `per-layer sensitivity ${i + 1}/${names.length}: ${name}`);
    const acc = await evaluateSubset(buildAlone(name));
    effects.push({ node: name, drop: accuracyDrop(acc), cosine: Math.min(...acc.map((a) => a.cosine)) });
  }
  return effects.sort((a, b) => b.drop - a.drop);
}

/**
 * The fewest of the most sensitive layers (in `ranked` order) to keep in float so the drop fits
 * `max`; all of them when even that does not fit. `dropWith(k)` evaluates the model with the first k
 * kept in float.
 */
export async function fewestToExclude(
  ranked: readonly string[],
  max: number,
  dropWith: (k: number) => Promise<number>,
  log: Logger,
): Promise<number> {
  const n = ranked.length;
  let lo = 0; // known to miss the gate
  let hi = 1;
  let step = 0;
  const steps = Math.ceil(Math.log2(Math.max(n, 1))) * 2 + 1;
  const fits = async (k: number) => {
    log.progress?.(Math.min(++step / steps, 0.99), `auto-exclude: trying ${k} of ${n} layer(s) in float`);
    return (await dropWith(k)) <= max;
  };
  if (n === 0) return 0;
  for (;;) {
    if (await fits(hi)) break;
    lo = hi;
    if (hi === n) return n; // even all of them in float does not fit
    hi = Math.min(hi * 2, n);
  }
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (await fits(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}
