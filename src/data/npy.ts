/** NumPy .npy (format 1.0-3.0) and .npz (a zip of .npy files) readers: little-endian, C order. */
import { inflateRawSync } from "node:zlib";
import { UserError } from "../errors.js";
import { DT } from "../onnx/dtypes.js";
import type { NumericArray } from "../onnx/tensor.js";

export interface NpyArray {
  dtype: number;
  dims: number[];
  data: NumericArray;
}

const DESCR: Record<string, [number, new (b: ArrayBuffer, o: number, n: number) => NumericArray, number]> = {
  "<f4": [DT.FLOAT, Float32Array, 4],
  "<f8": [DT.DOUBLE, Float64Array, 8],
  "<i8": [DT.INT64, BigInt64Array, 8],
  "<i4": [DT.INT32, Int32Array, 4],
  "<i2": [DT.INT16, Int16Array, 2],
  "|i1": [DT.INT8, Int8Array, 1],
  "|u1": [DT.UINT8, Uint8Array, 1],
  "<u2": [DT.UINT16, Uint16Array, 2],
  "<u4": [DT.UINT32, Uint32Array, 4],
  "<u8": [DT.UINT64, BigUint64Array, 8],
  "|b1": [DT.BOOL, Uint8Array, 1],
  "<f2": [DT.FLOAT16, Uint16Array, 2],
};

export function parseNpy(bytes: Uint8Array, source: string): NpyArray {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) {
    throw new UserError(`${source}: not a .npy file (bad magic)`, { hint: "save arrays with numpy.save" });
  }
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new UserError(`${source}: unreadable .npy header`);
  if (fortran === "True")
    throw new UserError(`${source}: Fortran-ordered arrays are not supported`, {
      hint: "save with numpy.ascontiguousarray(x)",
    });
  const kind = DESCR[descr];
  if (!kind)
    throw new UserError(`${source}: dtype ${descr} is not supported`, {
      hint: `use one of ${Object.keys(DESCR).join(", ")}`,
    });
  const dims = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  const [dtype, Ctor, width] = kind;
  const offset = start + headerLen;
  if (bytes.length - offset < count * width) throw new UserError(`${source}: truncated .npy data`);
  const copy = bytes.slice(offset, offset + count * width);
  return { dtype, dims, data: new Ctor(copy.buffer, 0, count) };
}

/** The entries of a zip file (stored or deflated), by name. */
export function readZip(bytes: Uint8Array, source: string): Map<string, Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 65557); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new UserError(`${source}: not a zip/.npz file`);
  const entries = view.getUint16(eocd + 10, true);
  let p = view.getUint32(eocd + 16, true);
  const out = new Map<string, Uint8Array>();
  for (let e = 0; e < entries; e++) {
    if (view.getUint32(p, true) !== 0x02014b50)
      throw new UserError(`${source}: corrupt zip central directory`);
    const method = view.getUint16(p + 10, true);
    const csize = view.getUint32(p + 20, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    const local = view.getUint32(p + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLen));
    const dataStart = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    const raw = bytes.subarray(dataStart, dataStart + csize);
    if (method === 0) out.set(name, raw);
    else if (method === 8) out.set(name, new Uint8Array(inflateRawSync(raw)));
    else throw new UserError(`${source}: zip entry ${name} uses compression method ${method}`);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

export function parseNpz(bytes: Uint8Array, source: string): Map<string, NpyArray> {
  const out = new Map<string, NpyArray>();
  for (const [name, data] of readZip(bytes, source))
    out.set(name.replace(/\.npy$/, ""), parseNpy(data, `${source}:${name}`));
  return out;
}
