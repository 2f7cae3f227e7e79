/** Array operations on constants, so shape arithmetic (Shape -> Gather -> Concat -> Reshape) folds away. */
import { elementCount, strides } from "./values.js";
import type { ConstData } from "./types.js";

function alloc(like: ConstData, n: number): Float32Array | Float64Array {
  return like.data instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);
}

export function concatConst(parts: ConstData[], axis: number): ConstData {
  const dims = [...parts[0].dims];
  dims[axis] = parts.reduce((s, p) => s + p.dims[axis], 0);
  const out = alloc(parts[0], elementCount(dims));
  const outer = elementCount(dims.slice(0, axis));
  let o = 0;
  for (let i = 0; i < outer; i++) {
    for (const p of parts) {
      const chunk = elementCount(p.dims.slice(axis));
      out.set(p.data.subarray(i * chunk, (i + 1) * chunk), o);
      o += chunk;
    }
  }
  return { dims, data: out };
}

/** numpy.take(data, indices, axis) with indices already non-negative. */
export function gatherConst(data: ConstData, indices: ConstData, axis: number): ConstData {
  const outer = elementCount(data.dims.slice(0, axis));
  const inner = elementCount(data.dims.slice(axis + 1));
  const n = data.dims[axis];
  const dims = [...data.dims.slice(0, axis), ...indices.dims, ...data.dims.slice(axis + 1)];
  const out = alloc(data, elementCount(dims));
  let o = 0;
  for (let i = 0; i < outer; i++) {
    for (const ix of indices.data) {
      const src = (i * n + ix) * inner;
      out.set(data.data.subarray(src, src + inner), o);
      o += inner;
    }
  }
  return { dims, data: out };
}

/** Strided slice over every axis: begin/step/count per axis (counts >= 0). */
export function sliceConst(c: ConstData, begin: number[], step: number[], count: number[]): ConstData {
  const st = strides(c.dims);
  const n = elementCount(count);
  const out = alloc(c, n);
  const idx = new Array<number>(count.length).fill(0);
  for (let o = 0; o < n; o++) {
    let src = 0;
    for (let k = 0; k < count.length; k++) src += (begin[k] + idx[k] * step[k]) * st[k];
    out[o] = c.data[src];
    for (let k = count.length - 1; k >= 0; k--) {
      if (++idx[k] < count[k]) break;
      idx[k] = 0;
    }
  }
  return { dims: count, data: out };
}
