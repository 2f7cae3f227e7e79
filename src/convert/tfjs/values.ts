/**
 * Constant values: ONNX tensors -> ConstData, ConstData -> TF.js weight arrays (with the int32 and
 * float32 range checks), and the small array algebra the mappers fold at conversion time.
 */
import { DT, dtypeName } from "../../onnx/dtypes.js";
import { float16BitsToFloat, bfloat16BitsToFloat } from "../../onnx/float16.js";
import type { DecodedTensor } from "../../onnx/tensor.js";
import { UnsupportedOpError, UserError } from "../../errors.js";
import type { ConstData, Dim, TfDtype } from "./types.js";

/** The TF.js dtype an ONNX element type becomes; undefined when TF.js has none (string, complex, ...). */
export function tfDtypeOf(onnxType: number): TfDtype | undefined {
  switch (onnxType) {
    case DT.FLOAT:
    case DT.DOUBLE:
    case DT.FLOAT16:
    case DT.BFLOAT16:
      return "float32";
    case DT.BOOL:
      return "bool";
    case DT.INT8:
    case DT.UINT8:
    case DT.INT16:
    case DT.UINT16:
    case DT.INT32:
    case DT.UINT32:
    case DT.INT64:
    case DT.UINT64:
      return "int32";
    default:
      return undefined;
  }
}

/** Same, from a spec type string such as "tensor(int64)". */
export function tfDtypeOfTypeString(t: string | undefined): TfDtype | undefined {
  const m = /^tensor\((\w+)\)$/.exec(t ?? "");
  if (!m) return undefined;
  const id = Object.entries(DT).find(([k]) => k.toLowerCase() === m[1])?.[1];
  return id === undefined ? undefined : tfDtypeOf(id);
}

const F32_MAX = 3.4028234663852886e38;

/** Decoded ONNX tensor -> ConstData, converting float64 with a range check. */
export function constFromTensor(t: DecodedTensor): ConstData {
  const dtype = tfDtypeOf(t.dtype);
  if (!dtype || Array.isArray(t.data)) {
    throw new UnsupportedOpError(`tensor "${t.name}": ${dtypeName(t.dtype)} has no TF.js equivalent`, {
      hint: "TF.js holds float32, int32 and bool tensors; cast the tensor in the ONNX model first",
    });
  }
  const src = t.data;
  if (dtype === "float32") {
    if (src instanceof Float32Array) return { dims: t.dims, data: src };
    const out = new Float32Array(src.length);
    const decode =
      t.dtype === DT.FLOAT16 ? float16BitsToFloat : t.dtype === DT.BFLOAT16 ? bfloat16BitsToFloat : undefined;
    for (let i = 0; i < src.length; i++) {
      const v = decode ? decode(Number(src[i])) : Number(src[i]);
      if (Number.isFinite(v) && Math.abs(v) > F32_MAX) {
        throw new UserError(`tensor "${t.name}": value ${v} at index ${i} does not fit float32`, {
          hint: "TF.js computes in float32; rescale the tensor or keep the model in ONNX",
        });
      }
      out[i] = v;
    }
    return { dims: t.dims, data: out };
  }
  const out = new Float64Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = Number(src[i]);
  return { dims: t.dims, data: out };
}

/** ConstData -> the typed array a weight of `dtype` is written from (int32 range-checked). */
export function weightArray(
  c: ConstData,
  dtype: TfDtype,
  what: string,
): Float32Array | Int32Array | Uint8Array {
  if (dtype === "float32") return c.data instanceof Float32Array ? c.data : Float32Array.from(c.data);
  if (dtype === "bool") return Uint8Array.from(c.data, (v) => (v ? 1 : 0));
  const out = new Int32Array(c.data.length);
  for (let i = 0; i < c.data.length; i++) {
    const v = c.data[i];
    if (!(v >= -2147483648 && v <= 2147483647)) {
      throw new UserError(`${what}: value ${v} at index ${i} does not fit int32 (TF.js has no int64)`, {
        hint: "int64 tensors become int32 in TF.js; keep their values within ±2^31",
      });
    }
    out[i] = v;
  }
  return out;
}

export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

export function isStatic(shape: readonly Dim[] | undefined): shape is number[] {
  return !!shape && shape.every((d) => d !== null);
}

/** Row-major strides. */
export function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i];
  }
  return s;
}

/** Transposes constant data: out dim i = in dim perm[i]. */
export function transposeConst(
  c: ConstData,
  perm: readonly number[],
  into?: Float32Array | Float64Array,
): ConstData {
  const dims = perm.map((p) => c.dims[p]);
  if (perm.every((p, i) => p === i)) {
    if (into) into.set(c.data);
    return { dims, data: into ?? c.data };
  }
  if (perm.length <= 4) {
    // Pad to rank 4 with leading unit dims; the blocked kernel below handles every rank-4 perm.
    const pad = 4 - perm.length;
    const d4 = [...new Array<number>(pad).fill(1), ...c.dims];
    const p4 = [...Array.from({ length: pad }, (_, i) => i), ...perm.map((p) => p + pad)];
    return { dims, data: transpose4(c.data, d4, p4, into) };
  }
  const n = c.data.length;
  const out = into ?? (c.data instanceof Float32Array ? new Float32Array(n) : new Float64Array(n));
  const inStrides = strides(c.dims);
  const rank = dims.length;
  const idx = new Array<number>(rank).fill(0);
  const step = perm.map((p) => inStrides[p]);
  let src = 0;
  for (let o = 0; o < n; o++) {
    out[o] = c.data[src];
    for (let k = rank - 1; k >= 0; k--) {
      idx[k]++;
      src += step[k];
      if (idx[k] < dims[k]) break;
      src -= step[k] * dims[k];
      idx[k] = 0;
    }
  }
  return { dims, data: out };
}

/**
 * Rank-4 transpose written in output order, the innermost output axis in blocks of 64 so that the
 * strided reads of one block stay in cache across the outer loops (conv filters OIHW -> HWIO are the
 * big case: about 2x faster than an element-by-element walk).
 */
function transpose4(
  inp: Float32Array | Float64Array,
  dims: number[],
  perm: number[],
  into?: Float32Array | Float64Array,
): Float32Array | Float64Array {
  const st = [dims[1] * dims[2] * dims[3], dims[2] * dims[3], dims[3], 1];
  const [s0, s1, s2, s3] = perm.map((p) => st[p]);
  const [n0, n1, n2, n3] = perm.map((p) => dims[p]);
  const out =
    into ?? (inp instanceof Float32Array ? new Float32Array(inp.length) : new Float64Array(inp.length));
  const o1 = n2 * n3;
  const o0 = n1 * o1;
  const B = 64;
  for (let lo = 0; lo < n3; lo += B) {
    const hi = Math.min(n3, lo + B);
    for (let c = 0; c < n2; c++) {
      for (let a = 0; a < n0; a++) {
        for (let b = 0; b < n1; b++) {
          let src = a * s0 + b * s1 + c * s2 + lo * s3;
          let dst = a * o0 + b * o1 + c * n3 + lo;
          for (let d = lo; d < hi; d++, src += s3) out[dst++] = inp[src];
        }
      }
    }
  }
  return out;
}

/** Scalar or 1-D constant as plain numbers. */
export function constNumbers(c: ConstData): number[] {
  return Array.from(c.data);
}

export function scalarConst(v: number, dtype: TfDtype): ConstData {
  return { dims: [], data: dtype === "float32" ? Float32Array.of(v) : Float64Array.of(v) };
}

export function vectorConst(v: readonly number[], dtype: TfDtype): ConstData {
  return { dims: [v.length], data: dtype === "float32" ? Float32Array.from(v) : Float64Array.from(v) };
}

/** Numpy broadcasting of two shapes; undefined when they cannot broadcast or a rank is unknown. */
export function broadcastShapes(a: Dim[] | undefined, b: Dim[] | undefined): Dim[] | undefined {
  if (!a || !b) return undefined;
  const r = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < r; i++) {
    // Missing leading dims are 1; a null (unknown) dim must stay null, so no `??` here.
    const ia = a.length - r + i;
    const ib = b.length - r + i;
    const x = ia < 0 ? 1 : a[ia];
    const y = ib < 0 ? 1 : b[ib];
    if (x === 1) out.push(y);
    else if (y === 1) out.push(x);
    else if (x === null) out.push(y);
    else if (y === null) out.push(x);
    else if (x === y) out.push(x);
    else return undefined;
  }
  return out;
}

/** Elementwise op over constants with broadcasting (for folding shape arithmetic). */
export function broadcastConst(
  a: ConstData,
  b: ConstData,
  f: (x: number, y: number) => number,
  float: boolean,
): ConstData {
  const dims = broadcastShapes(a.dims, b.dims) as number[];
  const n = elementCount(dims);
  const out = float ? new Float32Array(n) : new Float64Array(n);
  const r = dims.length;
  const sa = stridesFor(a.dims, r, dims);
  const sb = stridesFor(b.dims, r, dims);
  const os = strides(dims);
  for (let o = 0; o < n; o++) {
    let ia = 0;
    let ib = 0;
    let rem = o;
    for (let k = 0; k < r; k++) {
      const q = Math.floor(rem / os[k]);
      rem -= q * os[k];
      ia += q * sa[k];
      ib += q * sb[k];
    }
    out[o] = f(a.data[ia], b.data[ib]);
  }
  return { dims, data: out };
}

function stridesFor(dims: number[], rank: number, out: number[]): number[] {
  const padded = [...new Array<number>(rank - dims.length).fill(1), ...dims];
  const s = strides(padded);
  return padded.map((d, i) => (d === 1 && out[i] !== 1 ? 0 : s[i]));
}
