/**
 * What a mapper sees: the node's attributes and inputs (as Vals), the builder, and helpers that
 * materialize inputs in the layout the op runs in.
 */
import type { AttributeProto } from "../../onnx/proto.js";
import { AttributeType } from "../../onnx/proto.js";
import { tensorToArray } from "../../onnx/tensor.js";
import type { Node } from "../../ir/graph.js";
import { A, type TfGraphBuilder } from "./graph-builder.js";
import { LayoutCache, isIdentity, permute } from "./layout.js";
import { constFromTensor, vectorConst, scalarConst, isStatic, tfDtypeOf } from "./values.js";
import { dtypeName } from "../../onnx/dtypes.js";
import type { ConstData, Dim, TfAttrJson, TfDtype, Val } from "./types.js";

/** A node the converter cannot translate; collected, then reported together. */
export class NodeUnsupported extends Error {}

export function unsupported(reason: string): never {
  throw new NodeUnsupported(reason);
}

/** Reads ONNX attributes, from a node or from a validate query's decoded attribute record. */
export interface AttrReader {
  has(name: string): boolean;
  int(name: string, def: number): number;
  ints(name: string): number[] | undefined;
  float(name: string, def: number): number;
  floats(name: string): number[] | undefined;
  string(name: string, def: string): string;
}

const dec = new TextDecoder();

export function nodeAttrs(attrs: readonly AttributeProto[]): AttrReader {
  const get = (n: string) => attrs.find((a) => a.name === n);
  return {
    has: (n) => get(n) !== undefined,
    int: (n, d) => {
      const a = get(n);
      return a ? Number(a.i) : d;
    },
    ints: (n) => get(n)?.ints.map(Number),
    float: (n, d) => {
      const a = get(n);
      return a ? a.f : d;
    },
    floats: (n) => get(n)?.floats,
    string: (n, d) => {
      const a = get(n);
      return a ? dec.decode(a.s) : d;
    },
  };
}

export function recordAttrs(rec: Record<string, number | string | number[] | string[]>): AttrReader {
  return {
    has: (n) => n in rec,
    int: (n, d) => (typeof rec[n] === "number" ? (rec[n] as number) : d),
    ints: (n) => (Array.isArray(rec[n]) ? (rec[n] as number[]) : undefined),
    float: (n, d) => (typeof rec[n] === "number" ? (rec[n] as number) : d),
    floats: (n) => (Array.isArray(rec[n]) ? (rec[n] as number[]) : undefined),
    string: (n, d) => (typeof rec[n] === "string" ? (rec[n] as string) : d),
  };
}

export interface OpSpec {
  /** "any": runs in the layout of its data inputs; "nhwc": needs channels-last data; default: ONNX layout. */
  layout?: "any" | "nhwc";
  /** Inputs that carry data in the op's layout (default: all for "any", [0] for "nhwc"). */
  data?: number[];
  /** Why a node with these attributes cannot be converted (checked before converting anything). */
  check?(a: AttrReader, opset: number): string | undefined;
  map(c: MapCtx): Val[];
}

export interface CtxEnv {
  b: TfGraphBuilder;
  layouts: LayoutCache;
  keepLayout: boolean;
}

export class MapCtx {
  readonly attr: AttrReader;
  /** Stored permutation of the op's data inputs and outputs (undefined: ONNX layout). */
  perm: number[] | undefined;
  readonly b: TfGraphBuilder;

  constructor(
    readonly node: Node,
    readonly opset: number,
    readonly base: string,
    readonly inputs: (Val | undefined)[],
    readonly env: CtxEnv,
  ) {
    this.attr = nodeAttrs(node.attributes);
    this.b = env.b;
  }

  get outputCount(): number {
    return this.node.outputs.length;
  }
  /** Whether output i is used (named) in the ONNX graph. */
  wants(i: number): boolean {
    return (this.node.outputs[i] ?? "") !== "";
  }

  in(i: number): Val {
    const v = this.inputs[i];
    if (!v) unsupported(`input ${i} is missing`);
    return v;
  }
  opt(i: number): Val | undefined {
    return this.inputs[i];
  }

  /** The input as a TF ref stored with `perm` (default: the op's layout for data inputs). */
  ref(v: Val | number, perm?: number[] | "native"): string {
    const val = typeof v === "number" ? this.in(v) : v;
    const p = perm === "native" ? undefined : (perm ?? this.perm);
    return this.env.layouts.ref(val, p, `${this.base}/in`);
  }

  /** Ref of a data input for a broadcasting op running with this.perm at output rank `rank`. */
  refBroadcast(v: Val, rank: number): string {
    const perm = this.perm;
    const r = v.shape?.length;
    if (!perm || r === rank) return this.ref(v, perm ?? "native");
    if (r === undefined) unsupported("an input of unknown rank meets a channels-last tensor");
    if (v.shape!.every((d) => d === 1)) return this.ref(v, "native");
    const full: Dim[] = [...new Array<number>(rank - r).fill(1), ...v.shape!];
    if (v.const) {
      const c: ConstData = { dims: full as number[], data: v.const.data };
      return this.ref({ ...v, shape: full, const: c, ref: undefined }, perm);
    }
    if (full.filter((d) => d === null).length > 1)
      unsupported("cannot align a broadcast input of unknown shape");
    const reshaped = this.op("Reshape", [this.ref(v, "native"), this.kInts(full.map((d) => d ?? -1))], {
      T: A.type(v.dtype),
    });
    return this.ref({ dtype: v.dtype, shape: full, ref: reshaped }, perm);
  }

  constOf(i: number): ConstData | undefined {
    return this.inputs[i]?.const;
  }

  /** A constant input's data; unsupported (naming the input) when it is computed at run time. */
  constIn(i: number, what: string): ConstData {
    const c = this.constOf(i);
    if (!c) unsupported(`${what} (input ${i} "${this.node.inputs[i]}") must be a constant`);
    return c;
  }

  /** Integer values of a constant input (axes, pads, shapes); unsupported when computed at run time. */
  ints(i: number, what: string): number[] {
    const c = this.constOf(i);
    if (!c) unsupported(`${what} (input ${i} "${this.node.inputs[i]}") must be a constant`);
    return Array.from(c.data);
  }

  op(tfOp: string, inputs: string[], attr: Record<string, TfAttrJson> = {}, suffix?: string): string {
    return this.b.op(tfOp, suffix ? `${this.base}/${suffix}` : this.base, inputs, attr);
  }

  /** A constant vector/scalar as a Const ref. */
  kInts(v: readonly number[], scalar = false): string {
    const c = scalar ? scalarConst(v[0], "int32") : vectorConst(v, "int32");
    return this.ref({ dtype: "int32", shape: c.dims, const: c }, "native");
  }
  kFloat(v: number): string {
    return this.ref({ dtype: "float32", shape: [], const: scalarConst(v, "float32") }, "native");
  }
  k(v: number, dtype: TfDtype): string {
    return this.ref({ dtype, shape: [], const: scalarConst(v, dtype) }, "native");
  }
  kConst(c: ConstData, dtype: TfDtype, perm?: number[]): string {
    return this.ref({ dtype, shape: c.dims, const: c }, perm ?? "native");
  }

  out(ref: string, dtype: TfDtype, shape: Dim[] | undefined, perm?: number[] | undefined): Val {
    return { ref, dtype, shape, perm: perm && !isIdentity(perm) ? perm : undefined };
  }
  /** Output in the op's layout. */
  outP(ref: string, dtype: TfDtype, shape: Dim[] | undefined): Val {
    return this.out(ref, dtype, shape, this.perm);
  }

  /** Stored shape of a value. */
  stored(v: Val): Dim[] | undefined {
    return v.shape && permute(v.shape, v.perm);
  }

  staticShape(v: Val, what = "this op"): number[] {
    if (!isStatic(v.shape)) unsupported(`${what} needs a static input shape`);
    return v.shape;
  }
}

/** Value of a Constant node's attribute, or why it has none TF.js can hold. */
export function constantAttr(node: Node): { dtype: TfDtype; c: ConstData } | string {
  for (const a of node.attributes) {
    switch (a.name) {
      case "value": {
        if (!a.t) break;
        const dtype = tfDtypeOf(a.t.dataType);
        if (!dtype) return `Constant of ${dtypeName(a.t.dataType)} has no TF.js equivalent`;
        return { dtype, c: constFromTensor(tensorToArray(a.t)) };
      }
      case "value_float":
        return { dtype: "float32", c: scalarConst(a.f, "float32") };
      case "value_floats":
        return { dtype: "float32", c: vectorConst(a.floats, "float32") };
      case "value_int":
        return { dtype: "int32", c: scalarConst(Number(a.i), "int32") };
      case "value_ints":
        return { dtype: "int32", c: vectorConst(a.ints.map(Number), "int32") };
      case "value_string":
      case "value_strings":
        return "string constants have no TF.js equivalent here";
    }
    if (a.type === AttributeType.SPARSE_TENSOR) return "sparse constants are not supported";
  }
  return "Constant has no value";
}
