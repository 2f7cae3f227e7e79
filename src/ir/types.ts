/** ONNX types as the spec prints them ("tensor(float)", "seq(tensor(int64))", "map(string,tensor(float))"). */
import type { TypeProto, TensorShapeProto } from "../onnx/proto.js";
import { dtypeName } from "../onnx/dtypes.js";

export function typeToString(t: TypeProto | undefined): string | undefined {
  if (!t) return undefined;
  const v = t.value;
  switch (v.case) {
    case "tensorType":
      return v.value.elemType ? `tensor(${dtypeName(v.value.elemType)})` : undefined;
    case "sparseTensorType":
      return v.value.elemType ? `sparse_tensor(${dtypeName(v.value.elemType)})` : undefined;
    case "sequenceType": {
      const inner = typeToString(v.value.elemType);
      return inner && `seq(${inner})`;
    }
    case "optionalType": {
      const inner = typeToString(v.value.elemType);
      return inner && `optional(${inner})`;
    }
    case "mapType": {
      const inner = typeToString(v.value.valueType);
      return inner && `map(${dtypeName(v.value.keyType)},${inner})`;
    }
    default:
      return undefined;
  }
}

/** Spec type strings sometimes carry spaces ("map(string, int64)"); compare without them. */
export function normalizeType(s: string): string {
  // Nearly every value has the same type as the one before ("tensor(float)"): no Map lookup then.
  if (s === lastType) return lastNormalized;
  let out = normalized.get(s);
  if (out === undefined) {
    // The spec prints map values both as "map(int64, tensor(float))" and as "map(int64, float)".
    out = s.replace(/\s+/g, "").replace(/map\((\w+),tensor\((\w+)\)\)/g, "map($1,$2)");
    if (normalized.size < 10_000) normalized.set(s, out);
  }
  lastType = s;
  lastNormalized = out;
  return out;
}
let lastType = "";
let lastNormalized = "";
/** The schema's type strings are few and are compared for every node: normalize each once. */
const normalized = new Map<string, string>();

export type Dim = number | string | null;

export function shapeDims(shape: TensorShapeProto | undefined): Dim[] | undefined {
  if (!shape) return undefined;
  return shape.dim.map((d) => {
    if (d.value.case === "dimValue") return Number(d.value.value);
    if (d.value.case === "dimParam") return d.value.value;
    return null;
  });
}

/** Shape of a tensor type, or undefined when the type has no shape (rank unknown). */
export function tensorShape(t: TypeProto | undefined): Dim[] | undefined {
  if (t?.value.case === "tensorType" || t?.value.case === "sparseTensorType")
    return shapeDims(t.value.value.shape);
  return undefined;
}

export function formatShape(dims: Dim[] | undefined): string {
  if (!dims) return "?";
  return `[${dims.map((d) => (d === null ? "?" : String(d))).join(", ")}]`;
}
