/** Tolerance comparison of tensors (numpy.allclose style, NaN equal to NaN). */
export interface Mismatch {
  index: number;
  actual: number;
  expected: number;
}

export function allClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
): Mismatch | undefined {
  for (let i = 0; i < expected.length; i++) {
    const a = Number(actual[i]);
    const e = Number(expected[i]);
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (a === e) continue;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) return { index: i, actual: a, expected: e };
  }
  return undefined;
}

/** max |a - e| over max |e|: the error relative to the tensor's scale (stable near zeros). */
export function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(Number(actual[i]) - Number(expected[i]));
    if (!(d <= diff)) diff = d;
    scale = Math.max(scale, Math.abs(Number(expected[i])));
  }
  return diff / Math.max(scale, 1e-12);
}
