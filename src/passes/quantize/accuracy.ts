/** Accuracy of a quantized model against its float original, per output, over evaluation samples (pure). */
import type { HostTensor } from "../../runtime/ort.js";

export interface OutputAccuracy {
  output: string;
  maxAbsError: number;
  meanAbsError: number;
  cosine: number;
  sqnrDb: number;
  /** Fraction of rows whose argmax agrees, for classifier-shaped outputs ([batch, classes >= 2]). */
  top1Agreement?: number;
}

function toNumbers(t: HostTensor): Float64Array {
  const d = t.data;
  if (Array.isArray(d)) return new Float64Array(0);
  if (d instanceof BigInt64Array || d instanceof BigUint64Array)
    return Float64Array.from(d, (x) => Number(x));
  return Float64Array.from(d as ArrayLike<number>);
}

export function compareOutputs(
  reference: Map<string, HostTensor>[],
  candidate: Map<string, HostTensor>[],
): OutputAccuracy[] {
  const names = reference.length ? [...reference[0].keys()] : [];
  return names.map((name) => {
    let maxAbs = 0;
    let sumAbs = 0;
    let n = 0;
    let dot = 0;
    let na = 0;
    let nb = 0;
    let noise = 0;
    let rows = 0;
    let agree = 0;
    let classifier = true;
    for (let s = 0; s < reference.length; s++) {
      const rt = reference[s].get(name)!;
      const ct = candidate[s].get(name)!;
      const a = toNumbers(rt);
      const b = toNumbers(ct);
      for (let i = 0; i < a.length; i++) {
        const e = Math.abs(a[i] - b[i]);
        if (e > maxAbs || Number.isNaN(e)) maxAbs = Number.isNaN(e) ? NaN : e;
        sumAbs += e;
        dot += a[i] * b[i];
        na += a[i] * a[i];
        nb += b[i] * b[i];
        noise += e * e;
      }
      n += a.length;
      const classes = rt.dims[rt.dims.length - 1];
      // Classifier-shaped: [batch, classes] with at least two classes.
      if (rt.dims.length !== 2 || !(classes >= 2) || Array.isArray(rt.data)) classifier = false;
      else {
        for (let r = 0; r + classes <= a.length; r += classes) {
          rows++;
          if (argmax(a, r, classes) === argmax(b, r, classes)) agree++;
        }
      }
    }
    const cosine = na === 0 && nb === 0 ? 1 : dot / (Math.sqrt(na) * Math.sqrt(nb) || 1);
    const out: OutputAccuracy = {
      output: name,
      maxAbsError: maxAbs,
      meanAbsError: n ? sumAbs / n : 0,
      cosine,
      sqnrDb: noise === 0 ? Infinity : 10 * Math.log10(na / noise),
    };
    if (classifier && rows > 0) out.top1Agreement = agree / rows;
    return out;
  });
}

function argmax(a: Float64Array, start: number, len: number): number {
  let best = start;
  for (let i = start + 1; i < start + len; i++) if (a[i] > a[best]) best = i;
  return best - start;
}

/**
 * The single "accuracy drop" figure gates use: the worst over outputs of 1 - cosine similarity and,
 * for classifier outputs, 1 - top-1 agreement.
 */
export function accuracyDrop(acc: OutputAccuracy[]): number {
  let drop = 0;
  for (const a of acc) {
    drop = Math.max(drop, 1 - a.cosine);
    if (a.top1Agreement !== undefined) drop = Math.max(drop, 1 - a.top1Agreement);
  }
  return drop;
}
