/**
 * How far a shadow's outputs are from stable's: the largest absolute difference over every numeric
 * output, and whether any row's argmax (over the last axis) differs, which for a classifier is the
 * disagreement that matters. String outputs (BYTES labels) count as an argmax mismatch when unequal.
 */
import type { Tensor } from "../datatypes.js";

export interface Disagreement {
  maxAbsDiff: number;
  argmaxMismatch: boolean;
}

export function compareOutputs(
  stable: Record<string, Tensor>,
  shadow: Record<string, Tensor>,
  names: readonly string[],
): Disagreement {
  let maxAbsDiff = 0;
  let argmaxMismatch = false;
  for (const name of names) {
    const a = stable[name];
    const b = shadow[name];
    if (!a || !b) continue;
    if (a.data.length !== b.data.length || a.shape.join() !== b.shape.join()) {
      maxAbsDiff = Infinity;
      argmaxMismatch = true;
      continue;
    }
    if (typeof a.data[0] === "string") {
      if ((a.data as string[]).some((s, i) => s !== (b.data as string[])[i])) argmaxMismatch = true;
      continue;
    }
    const x = Array.from(a.data as ArrayLike<number | bigint | boolean>, Number);
    const y = Array.from(b.data as ArrayLike<number | bigint | boolean>, Number);
    for (let i = 0; i < x.length; i++) {
      const d = Math.abs(x[i] - y[i]);
      maxAbsDiff = Math.max(maxAbsDiff, Number.isNaN(d) ? (Object.is(x[i], y[i]) ? 0 : Infinity) : d);
    }
    const last = a.shape[a.shape.length - 1] ?? 1;
    if (last > 1 && !argmaxMismatch)
      for (let r = 0; r + last <= x.length; r += last)
        if (argmax(x, r, last) !== argmax(y, r, last)) {
          argmaxMismatch = true;
          break;
        }
  }
  return { maxAbsDiff, argmaxMismatch };
}

function argmax(v: number[], from: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (v[from + i] > v[from + best]) best = i;
  return best;
}
