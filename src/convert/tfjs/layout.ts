/**
 * Layout: each value's TF tensor may hold its logical (ONNX) tensor transposed by a permutation. Conv
 * regions run channels-last (NHWC), so a value enters that layout once and every op inside remaps its
 * axes instead of transposing back and forth; a Transpose is materialized only where an op needs
 * another layout (and becomes a free Reshape when it only moves size-1 dimensions).
 */
import { A, type DeferredWeight, type TfGraphBuilder } from "./graph-builder.js";
import { transposeConst, weightArray } from "./values.js";
import type { ConstData, Dim, Val } from "./types.js";

export function identity(rank: number): number[] {
  return Array.from({ length: rank }, (_, i) => i);
}

/** Channels-last permutation of a rank-r NC... tensor: [0, 2, ..., r-1, 1]. */
export function channelsLast(rank: number): number[] {
  if (rank < 3) return identity(rank);
  return [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
}

export function isIdentity(perm: readonly number[] | undefined): boolean {
  return !perm || perm.every((p, i) => p === i);
}

export function samePerm(
  a: readonly number[] | undefined,
  b: readonly number[] | undefined,
  rank: number,
): boolean {
  const x = a ?? identity(rank);
  const y = b ?? identity(rank);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

export function permute<T>(xs: readonly T[], perm: readonly number[] | undefined): T[] {
  return perm ? perm.map((p) => xs[p]) : [...xs];
}

export function invert(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/** Stored axis that holds logical axis `a` (negative axes allowed). */
export function storedAxis(a: number, rank: number, perm: readonly number[] | undefined): number {
  const la = a < 0 ? a + rank : a;
  return perm ? perm.indexOf(la) : la;
}

/** Stored shape of a value. */
export function storedShape(v: Val): Dim[] | undefined {
  return v.shape && permute(v.shape, v.perm);
}

/**
 * The permutation of the result when the logical dims `kept` (ascending) survive a reduction or
 * squeeze of a tensor stored with `perm`: the survivors keep their stored order.
 */
export function permAfterDrop(
  perm: readonly number[] | undefined,
  kept: readonly number[],
): number[] | undefined {
  if (!perm) return undefined;
  const newIndex = new Map(kept.map((k, i) => [k, i]));
  const out = perm.filter((p) => newIndex.has(p)).map((p) => newIndex.get(p)!);
  return isIdentity(out) ? undefined : out;
}

/** Float32 constants this large are transposed when written (DeferredWeight), smaller ones now. */
const DEFER_ELEMENTS = 1 << 14;

/** Writes a constant as a Const node in the given stored permutation. */
export function emitConst(b: TfGraphBuilder, base: string, v: Val, perm?: number[]): string {
  const src = v.const!;
  const moved = perm && !isIdentity(perm);
  const origin = src.origin;
  if (moved && v.dtype === "float32" && src.dims.reduce((a, d) => a * d, 1) >= DEFER_ELEMENTS) {
    return b.constant(
      base,
      "float32",
      perm.map((p) => src.dims[p]),
      deferTranspose(src, perm),
      origin,
    );
  }
  if (!moved && v.dtype === "float32" && src.raw) {
    // Already in order: the initializer's own bytes go to the shard, never decoded.
    const raw = src.raw;
    return b.constant(base, "float32", src.dims, { byteLength: raw.byteLength, produce: () => raw }, origin);
  }
  const c: ConstData = moved ? transposeConst(src, perm) : src;
  return b.constant(base, v.dtype, c.dims, weightArray(c, v.dtype, `constant "${base}"`), origin);
}

function deferTranspose(src: ConstData, perm: number[]): DeferredWeight {
  const n = src.dims.reduce((a, d) => a * d, 1);
  return {
    byteLength: n * 4,
    produce(scratch) {
      let input: Float32Array | Float64Array;
      const raw = src.raw;
      if (raw && raw.byteOffset % 4 !== 0 && scratch) {
        // Unaligned raw bytes: stage them in a reused aligned buffer instead of a fresh copy.
        input = scratch.get(0, n);
        new Uint8Array(input.buffer, input.byteOffset, raw.byteLength).set(raw);
      } else if (raw && raw.byteOffset % 4 === 0) input = new Float32Array(raw.buffer, raw.byteOffset, n);
      else input = src.data;
      const out = scratch ? scratch.get(1, n) : new Float32Array(n);
      transposeConst({ dims: src.dims, data: input }, perm, out);
      return new Uint8Array(out.buffer, out.byteOffset, n * 4);
    },
  };
}

export class LayoutCache {
  private readonly cache = new Map<Val, Map<string, string>>();
  constructor(private readonly b: TfGraphBuilder) {}

  /** Reference to `v` stored with permutation `perm` (undefined = logical order). */
  ref(v: Val, perm: number[] | undefined, base: string): string {
    const rank = v.shape?.length ?? perm?.length ?? 0;
    const target = perm && !isIdentity(perm) ? perm : undefined;
    if (v.ref && samePerm(v.perm, target, rank)) return v.ref;
    const key = target ? target.join(",") : "id";
    let m = this.cache.get(v);
    if (!m) this.cache.set(v, (m = new Map()));
    const hit = m.get(key);
    if (hit) return hit;
    let out: string;
    if (v.const) out = emitConst(this.b, target ? `${base}/perm` : base, v, target);
    else out = this.transpose(v, target ?? identity(rank), base);
    m.set(key, out);
    return out;
  }

  private transpose(v: Val, target: number[], base: string): string {
    const from = v.perm ?? identity(target.length);
    const rel = target.map((t) => from.indexOf(t));
    const dst = v.shape && permute(v.shape, target);
    if (v.shape && dst && movesOnlyOnes(v.shape, from, target)) {
      const shape = this.b.constant(
        `${base}/shape`,
        "int32",
        [dst.length],
        Int32Array.from(dst, (d) => d ?? -1),
      );
      return this.b.op("Reshape", `${base}/relayout`, [v.ref!, shape], {
        T: A.type(v.dtype),
        Tshape: A.type("int32"),
      });
    }
    const p = this.b.constant(`${base}/perm`, "int32", [rel.length], Int32Array.from(rel));
    return this.b.op("Transpose", `${base}/relayout`, [v.ref!, p], {
      T: A.type(v.dtype),
      Tperm: A.type("int32"),
    });
  }
}

/**
 * True when going from stored order `from` to `to` only moves size-1 dims: the other logical axes keep
 * their relative order, so a Reshape does it (at most one unknown size for Reshape's -1).
 */
function movesOnlyOnes(shape: Dim[], from: number[], to: number[]): boolean {
  const big = (perm: number[]) => perm.filter((a) => shape[a] !== 1);
  const x = big(from);
  const y = big(to);
  if (x.length !== y.length || x.some((a, i) => a !== y[i])) return false;
  return x.filter((a) => shape[a] === null).length <= 1;
}
