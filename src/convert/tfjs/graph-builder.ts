/**
 * Accumulates the TF graph: nodes in the protobuf-JSON form model.json stores (int64 as strings,
 * strings base64, dtypes as enum names) and the Const nodes whose values go to the weights manifest.
 */
import type { TfAttrJson, TfDtype, TfNodeJson } from "./types.js";

export const TF_DTYPE_ENUM: Record<TfDtype, string> = {
  float32: "DT_FLOAT",
  int32: "DT_INT32",
  bool: "DT_BOOL",
};

/** Attribute constructors (protobuf JSON of tensorflow.AttrValue). */
export const A = {
  type: (t: TfDtype): TfAttrJson => ({ type: TF_DTYPE_ENUM[t] }),
  int: (v: number): TfAttrJson => ({ i: String(Math.trunc(v)) }),
  float: (v: number): TfAttrJson => ({ f: v }),
  bool: (v: boolean): TfAttrJson => ({ b: v }),
  str: (v: string): TfAttrJson => ({ s: Buffer.from(v, "utf8").toString("base64") }),
  ints: (v: readonly number[]): TfAttrJson => ({ list: { i: v.map((x) => String(Math.trunc(x))) } }),
  strs: (v: readonly string[]): TfAttrJson => ({
    list: { s: v.map((x) => Buffer.from(x, "utf8").toString("base64")) },
  }),
  shape: (dims: readonly (number | null)[] | undefined): TfAttrJson =>
    dims
      ? { shape: { dim: dims.map((d) => ({ size: String(d ?? -1) })) } }
      : { shape: { unknownRank: true } },
};

export type WeightData = Float32Array | Int32Array | Uint8Array;

/**
 * A weight whose bytes are computed when the shards are written (a large constant transposed into
 * TF's layout): written from reused scratch buffers, so conversion does not hold a second copy.
 */
export interface DeferredWeight {
  byteLength: number;
  /** The weight's bytes; in `scratch` (reused by the caller) when it is big enough. */
  produce(scratch?: Scratch): Uint8Array;
}

/** Two reusable float32 buffers: a source staging area and an output. */
export interface Scratch {
  get(slot: 0 | 1, elements: number): Float32Array;
}

/** A weight: the value of one Const node, in its TF.js dtype, now or when written. */
export interface WeightEntry {
  name: string;
  dtype: TfDtype;
  shape: number[];
  data: WeightData | DeferredWeight;
  /** The ONNX initializer it holds (unchanged or transposed), for reports. */
  origin?: string;
}

export function isDeferred(d: WeightEntry["data"]): d is DeferredWeight {
  return !ArrayBuffer.isView(d);
}

const NAME_OK = /^[A-Za-z0-9.][A-Za-z0-9_./-]*$/;

export class TfGraphBuilder {
  readonly nodes: TfNodeJson[] = [];
  readonly weights: WeightEntry[] = [];
  /** Transpose nodes the converter emitted, by reason ("layout", "op"). */
  transposes = 0;
  private readonly used = new Set<string>();

  /** A node name nobody has: TF names allow [A-Za-z0-9_./-] and must not start with _ - or /. */
  unique(base: string): string {
    let name = base.replace(/[^A-Za-z0-9_./-]/g, "_");
    if (!NAME_OK.test(name)) name = `n${name}`;
    if (!this.used.has(name)) {
      this.used.add(name);
      return name;
    }
    for (let i = 1; ; i++) {
      const cand = `${name}_${i}`;
      if (!this.used.has(cand)) {
        this.used.add(cand);
        return cand;
      }
    }
  }

  /** Adds a node and returns its name (which is also the reference of its first output). */
  op(op: string, base: string, inputs: string[], attr: Record<string, TfAttrJson> = {}): string {
    const name = this.unique(base);
    const node: TfNodeJson = { name, op, input: inputs };
    if (Object.keys(attr).length > 0) node.attr = attr;
    this.nodes.push(node);
    if (op === "Transpose") this.transposes++;
    return name;
  }

  placeholder(base: string, dtype: TfDtype, shape: (number | null)[] | undefined): string {
    const name = this.unique(base);
    this.nodes.push({ name, op: "Placeholder", attr: { dtype: A.type(dtype), shape: A.shape(shape) } });
    return name;
  }

  /** A Const node whose value lives in the weights manifest under the node's name. */
  constant(
    base: string,
    dtype: TfDtype,
    shape: number[],
    data: WeightEntry["data"],
    origin?: string,
  ): string {
    const name = this.unique(base);
    this.nodes.push({
      name,
      op: "Const",
      attr: {
        value: {
          tensor: {
            dtype: TF_DTYPE_ENUM[dtype],
            tensorShape: shape.length ? { dim: shape.map((d) => ({ size: String(d) })) } : {},
          },
        },
        dtype: A.type(dtype),
      },
    });
    this.weights.push(origin ? { name, dtype, shape, data, origin } : { name, dtype, shape, data });
    return name;
  }
}
