/** Concatenating requests along dim 0 into one batch, and splitting the batch's outputs back. */
import { datatypeInfo, elementCount, type Tensor, type TensorValues } from "./datatypes.js";

/** Joins tensors that agree on datatype and on every dim after the first. */
export function concatRows(parts: Tensor[]): Tensor {
  if (parts.length === 1) return parts[0];
  const first = parts[0];
  const rows = parts.reduce((n, p) => n + p.shape[0], 0);
  const shape = [rows, ...first.shape.slice(1)];
  let data: TensorValues;
  if (Array.isArray(first.data)) {
    data = ([] as string[]).concat(...parts.map((p) => p.data as string[]));
  } else {
    const out = datatypeInfo(first.datatype).create(elementCount(shape));
    let off = 0;
    for (const p of parts) {
      (out as Uint8Array).set(p.data as Uint8Array, off);
      off += p.data.length;
    }
    data = out;
  }
  return { datatype: first.datatype, shape, data };
}

/** Rows [start, start + count) of a batched tensor; `copy` detaches it from the batch's buffer. */
export function sliceRows(t: Tensor, start: number, count: number, copy = false): Tensor {
  if (start === 0 && count === t.shape[0] && !copy) return t;
  const rowSize = elementCount(t.shape.slice(1));
  const [a, b] = [start * rowSize, (start + count) * rowSize];
  const data = Array.isArray(t.data)
    ? t.data.slice(a, b)
    : copy
      ? (t.data.slice(a, b) as TensorValues)
      : (t.data.subarray(a, b) as TensorValues);
  return { datatype: t.datatype, shape: [count, ...t.shape.slice(1)], data };
}

/** A copy whose buffer can be transferred to a worker without detaching anything else. */
export function ownedCopy(t: Tensor): Tensor {
  if (Array.isArray(t.data)) return t;
  const d = t.data;
  if (d.byteOffset === 0 && d.byteLength === d.buffer.byteLength && !(d.buffer instanceof SharedArrayBuffer))
    return t;
  return { ...t, data: d.slice() as TensorValues };
}
