/**
 * `--inputs DIR`: feeds loaded from files. ONNX TensorProto files (*.pb, as in the ONNX test data
 * layout input_0.pb, input_1.pb, ...) are matched by the tensor's name, else by their order; NumPy
 * files (*.npy) are matched by file name (input name + ".npy").
 */
import fs from "node:fs";
import path from "node:path";
import { decodeTensorProto } from "../onnx/proto.js";
import { tensorToArray } from "../onnx/tensor.js";
import { dtypeName } from "../onnx/dtypes.js";
import { UserError } from "../errors.js";
import { ORT_TYPE, type InputArray, type InputData, type InputSpec } from "./inputs.js";

const NPY_DTYPES: Record<
  string,
  { type: string; ctor: new (b: ArrayBuffer) => Exclude<InputArray, string[]> }
> = {
  "<f4": { type: "float32", ctor: Float32Array },
  "<f8": { type: "float64", ctor: Float64Array },
  "<f2": { type: "float16", ctor: Uint16Array },
  "|i1": { type: "int8", ctor: Int8Array },
  "|u1": { type: "uint8", ctor: Uint8Array },
  "|b1": { type: "bool", ctor: Uint8Array },
  "<i2": { type: "int16", ctor: Int16Array },
  "<u2": { type: "uint16", ctor: Uint16Array },
  "<i4": { type: "int32", ctor: Int32Array },
  "<u4": { type: "uint32", ctor: Uint32Array },
  "<i8": { type: "int64", ctor: BigInt64Array },
  "<u8": { type: "uint64", ctor: BigUint64Array },
};

/** Parses a little-endian, C-order .npy file (format versions 1-3). */
export function parseNpy(bytes: Uint8Array, name: string): InputData {
  const bad = (why: string) =>
    new UserError(`${name}: not a .npy file mlpack can read (${why})`, {
      hint: "save it with numpy.save() as a C-contiguous little-endian array of a numeric or bool dtype",
    });
  if (bytes.length < 10 || bytes[0] !== 0x93 || String.fromCharCode(...bytes.subarray(1, 6)) !== "NUMPY")
    throw bad("bad magic");
  const major = bytes[6];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(headerStart, headerStart + headerLen));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw bad("header without descr/fortran_order/shape");
  if (fortran === "True") throw bad("Fortran order");
  const dt = NPY_DTYPES[descr];
  if (!dt) throw bad(`dtype ${descr}`);
  const dims = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const n = dims.reduce((a, b) => a * b, 1);
  const start = headerStart + headerLen;
  const elemBytes = Number(descr.slice(2));
  if (bytes.length - start < n * elemBytes) throw bad(`${n} elements need ${n * elemBytes} bytes`);
  const copy = bytes.slice(start, start + n * elemBytes);
  return { name: path.basename(name, ".npy"), type: dt.type, dims, data: new dt.ctor(copy.buffer) };
}

/** Feeds for `inputs` from the files in `dir`. */
export function loadInputFiles(dir: string, inputs: readonly InputSpec[]): InputData[] {
  let files: string[];
  try {
    files = fs.readdirSync(dir).sort();
  } catch {
    throw new UserError(`cannot read the inputs directory ${dir}`, {
      hint: "pass a directory of .pb (TensorProto) or .npy files, or --inputs random",
    });
  }
  const loaded: InputData[] = [];
  const pbs = files.filter((f) => f.endsWith(".pb"));
  pbs.forEach((f, i) => {
    const file = path.join(dir, f);
    let t;
    try {
      t = tensorToArray(decodeTensorProto(fs.readFileSync(file)));
    } catch (e) {
      throw new UserError(`${file}: not a TensorProto file (${(e as Error).message})`);
    }
    const type = ORT_TYPE[t.dtype];
    if (!type)
      throw new UserError(`${file}: element type ${dtypeName(t.dtype)} cannot be fed to onnxruntime-node`);
    const name = t.name || inputs[i]?.name || f;
    const data = t.dtype === 8 ? (t.data as Uint8Array[]).map((s) => new TextDecoder().decode(s)) : t.data;
    loaded.push({ name, type, dims: t.dims, data: data as InputArray });
  });
  for (const f of files.filter((x) => x.endsWith(".npy")))
    loaded.push(parseNpy(fs.readFileSync(path.join(dir, f)), f));

  const byName = new Map(loaded.map((d) => [d.name, d]));
  const missing = inputs.filter((i) => !byName.has(i.name)).map((i) => i.name);
  if (missing.length)
    throw new UserError(
      `${dir}: no data for input${missing.length > 1 ? "s" : ""} ${missing.map((m) => `"${m}"`).join(", ")}`,
      {
        hint: `add <name>.npy files, or TensorProto .pb files whose name field is the input name (found: ${files.join(", ") || "nothing"})`,
      },
    );
  return inputs.map((i) => {
    const d = byName.get(i.name)!;
    const want = ORT_TYPE[i.elemType];
    if (want && want !== d.type)
      throw new UserError(`input "${i.name}" is ${want} in the model, but its file holds ${d.type}`);
    return d;
  });
}
