/**
 * Whether an accuracy figure is evidence (pure). A drop measured on random inputs, or on inputs where
 * the float model's outputs do not move (the same value for every sample, or a sigmoid/softmax pinned
 * at 0 and 1), says nothing about real inputs: a broken int8 model can score a perfect 0 there.
 */
import type { HostTensor } from "../../runtime/ort.js";

const PINNED = 1e-3;

function numbers(t: HostTensor): ArrayLike<number> | undefined {
  const d = t.data;
  if (Array.isArray(d) || d instanceof BigInt64Array || d instanceof BigUint64Array) return undefined;
  return d as ArrayLike<number>;
}

/** Reasons the float model's outputs on these samples cannot tell a good quantization from a bad one. */
export function degenerateOutputs(reference: Map<string, HostTensor>[]): string[] {
  if (reference.length === 0) return [];
  const reasons: string[] = [];
  for (const name of reference[0].keys()) {
    const series = reference.map((r) => numbers(r.get(name)!));
    if (series.some((s) => !s)) continue;
    const n = series[0]!.length;
    if (n === 0 || series.some((s) => s!.length !== n)) continue;
    // A position is stuck when every sample pins it to the same side (0 or 1).
    let stuck = 0;
    let inUnit = true;
    let spread = 0;
    let scale = 0;
    for (let i = 0; i < n; i++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (const s of series) {
        const v = s![i];
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
        scale = Math.max(scale, Math.abs(v));
      }
      if (lo < 0 || hi > 1) inUnit = false;
      if (hi <= PINNED || lo >= 1 - PINNED) stuck++;
      spread = Math.max(spread, hi - lo);
    }
    if (reference.length >= 2 && spread <= 1e-4 * Math.max(scale, 1e-12))
      reasons.push(`output "${name}" is the same for every evaluation sample`);
    else if (inUnit && stuck / n >= 0.999)
      reasons.push(
        `output "${name}" is saturated: ${((100 * stuck) / n).toFixed(1)}% of its values are pinned at 0 or 1 on every sample`,
      );
  }
  return reasons;
}
