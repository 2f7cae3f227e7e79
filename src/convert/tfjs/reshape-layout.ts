/**
 * A Reshape of a channels-last tensor without going back to NCHW: when the reshape only merges (or
 * splits) runs of consecutive axes, and each run sits contiguously and in order in the stored tensor,
 * the result is a plain Reshape of the stored data with the runs in their stored order. That is the
 * patch-embedding pattern ([N, C, H, W] -> [N, C, H*W] -> Transpose -> [N, H*W, C]): no Transpose at all.
 */
import type { Dim } from "./types.js";

/**
 * Groups of input axes (consecutive, each group's product = one output dim), or undefined when the
 * reshape is not such a merge. Size-1 dims on either side are free; an unknown dim only matches
 * itself one to one.
 */
export function mergeGroups(input: Dim[], output: Dim[]): number[][] | undefined {
  const groups: number[][] = [];
  let i = 0;
  for (const want of output) {
    const g: number[] = [];
    if (want === null) {
      while (i < input.length && input[i] === 1) g.push(i++);
      if (input[i] !== null) return undefined;
      g.push(i++);
    } else {
      let prod = 1;
      while (i < input.length && prod < want) {
        const d = input[i];
        if (d === null) return undefined;
        prod *= d;
        g.push(i++);
      }
      if (prod !== want) return undefined;
    }
    groups.push(g);
  }
  // Trailing unit dims join the last group.
  while (i < input.length && input[i] === 1) (groups[groups.length - 1] ?? (groups[0] = [])).push(i++);
  return i === input.length ? groups : undefined;
}

/**
 * The stored permutation of the reshaped tensor, or undefined when some group's (non-unit) axes are
 * not contiguous and in order in the stored tensor.
 */
export function reshapedPerm(input: Dim[], perm: number[], groups: number[][]): number[] | undefined {
  const pos = (a: number) => perm.indexOf(a);
  const keys: number[] = [];
  for (const g of groups) {
    const big = g.filter((a) => input[a] !== 1);
    const at = big.map(pos);
    if (at.some((p, k) => k > 0 && p !== at[k - 1] + 1)) return undefined;
    keys.push(at.length ? at[0] : Infinity);
  }
  const order = groups.map((_, j) => j);
  // Unit groups (key Infinity) go last; a stable sort keeps their relative order.
  order.sort((a, b) => (keys[a] === keys[b] ? a - b : keys[a] - keys[b]));
  return order;
}
