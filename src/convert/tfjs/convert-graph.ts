/**
 * The walk: ONNX main graph -> TF graph nodes. Inputs become Placeholders, initializers constants,
 * each node goes through its category mapper in topological order, and graph outputs are brought back
 * to the ONNX layout under an Identity named after the output. Every node that cannot be converted is
 * collected (with the reason) before the caller writes anything.
 */
import type { Graph, Model, Node } from "../../ir/graph.js";
import { topoSort, consumers } from "../../ir/walk.js";
import { tensorShape } from "../../ir/types.js";
import { readTensorOf, type TensorSource } from "./read-consts.js";
import { A, TfGraphBuilder } from "./graph-builder.js";
import { LayoutCache, channelsLast, isIdentity } from "./layout.js";
import { MapCtx, NodeUnsupported, nodeAttrs, type OpSpec } from "./context.js";
import { findMapper } from "./mappers/index.js";
import { tfDtypeOf } from "./values.js";
import { foldBatchNorms } from "./fold-batchnorm.js";
import { precisionChanges, type PrecisionChange } from "./precision.js";
import type { ConstData, ConvertOptions, Dim, TfDtype, Val } from "./types.js";
import { dtypeName } from "../../onnx/dtypes.js";
import { UsageError } from "../../errors.js";

export interface UnsupportedNode {
  node: string;
  opType: string;
  reason: string;
}

export interface GraphIo {
  onnxName: string;
  tfName: string;
  dtype: TfDtype;
  shape: Dim[] | undefined;
}

export interface ConvertedGraph {
  builder: TfGraphBuilder;
  inputs: GraphIo[];
  outputs: GraphIo[];
  unsupported: UnsupportedNode[];
  foldedBatchNorms: number;
  onnxTransposes: number;
  /** Types TF.js narrows (float64 -> float32, int64 -> int32), with values that do not fit. */
  precision: PrecisionChange[];
  /** Whether an input kept a symbolic dim (then --shape can help ops that need static sizes). */
  symbolicInputs: boolean;
  /** Nodes converted channels-last (Conv, pooling, ...): 0 means the graph kept the ONNX layout throughout. */
  channelsLastOps: number;
}

export function nodeLabel(n: Node, index: number): string {
  return n.name || `#${index}`;
}

export function convertGraph(model: Model, source: TensorSource, opts: ConvertOptions): ConvertedGraph {
  const g = model.graph;
  const b = new TfGraphBuilder();
  const layouts = new LayoutCache(b);
  const env = { b, layouts, keepLayout: !!opts.keepLayout };
  const opset = model.opsets().get("") ?? 1;
  const unsupported: UnsupportedNode[] = [];
  const values = new Map<string, Val>();
  const poisoned = new Set<string>();
  let channelsLastOps = 0;

  const consts = new Map<string, { dtype: TfDtype; c: ConstData }>();
  for (const t of g.initializers) {
    const dtype = tfDtypeOf(t.dataType);
    if (!dtype) continue; // reported if a converted node reads it
    const c = readTensorOf(source, t); // may hold a lazy getter: tag it, never spread it
    c.origin = t.name;
    consts.set(t.name, { dtype, c });
  }
  const order = topoSort(g).order;
  const foldedBatchNorms = opts.foldBatchNorm === false ? 0 : foldBatchNorms(order, consts, consumers(g), g);

  for (const [name, { dtype, c }] of consts) values.set(name, { dtype, shape: c.dims, const: c });

  const inputs: GraphIo[] = [];
  for (const vi of g.inputs) {
    if (values.has(vi.name)) continue;
    const elem = vi.type?.value.case === "tensorType" ? vi.type.value.value.elemType : 0;
    const dtype = tfDtypeOf(elem);
    const declared = tensorShape(vi.type)?.map((d) => (typeof d === "number" ? d : null));
    const shape = fixShape(vi.name, declared, opts.inputShapes?.[vi.name]);
    if (!dtype) {
      unsupported.push({
        node: `input ${vi.name}`,
        opType: "input",
        reason: `${dtypeName(elem)} inputs have no TF.js type`,
      });
      poisoned.add(vi.name);
      continue;
    }
    const tfName = b.placeholder(vi.name, dtype, shape);
    values.set(vi.name, { dtype, shape, ref: tfName });
    inputs.push({ onnxName: vi.name, tfName, dtype, shape });
  }
  for (const name of Object.keys(opts.inputShapes ?? {})) {
    if (!inputs.some((i) => i.onnxName === name))
      throw new UsageError(`--shape ${name}: the model has no input "${name}"`, {
        hint: `its inputs: ${inputs.map((i) => i.onnxName).join(", ") || "(none)"}`,
      });
  }
  for (const t of g.initializers) {
    if (!values.has(t.name)) poisoned.add(t.name);
  }

  const indexOf = new Map(g.nodes.map((n, i) => [n, i]));
  order.forEach((node) => {
    const index = indexOf.get(node)!;
    const label = nodeLabel(node, index);
    const fail = (reason: string) => {
      unsupported.push({ node: label, opType: node.opType, reason });
      for (const o of node.outputs) poisoned.add(o);
    };
    // The op's own support is checked before its inputs, so that a node downstream of a failure is
    // still reported when its op is unsupported too: the user sees every node to fix in one run.
    const domain = node.domain === "ai.onnx" ? "" : node.domain;
    const spec = domain === "" ? findMapper(node.opType) : undefined;
    const why = !spec
      ? domain === ""
        ? `no TF.js mapping for ${node.opType}`
        : `custom domain "${domain}" is not supported`
      : node.childGraphs().length > 0
        ? "subgraphs (If/Loop/Scan bodies) are not supported"
        : spec.check?.(nodeAttrs(node.attributes), opset);
    if (why || !spec) {
      fail(why ?? "unsupported");
      return;
    }
    // A supported op that only reads a failed value stays silent: fixing the upstream node fixes it.
    if (node.inputs.some((i) => poisoned.has(i))) {
      const bad = node.inputs.find((i) => poisoned.has(i) && !values.has(i) && g.initializer(i));
      if (bad) fail(`initializer "${bad}" has a type TF.js cannot hold`);
      for (const o of node.outputs) poisoned.add(o);
      return;
    }
    const ins = node.inputs.map((n) => (n === "" ? undefined : values.get(n)));
    const missing = node.inputs.findIndex((n, i) => n !== "" && !ins[i]);
    if (missing >= 0) {
      fail(`input "${node.inputs[missing]}" is not produced by anything`);
      return;
    }
    const c = new MapCtx(node, opset, label, ins, env);
    c.perm = choosePerm(spec, ins, env.keepLayout);
    if (spec.layout === "nhwc" && c.perm && !isIdentity(c.perm)) channelsLastOps++;
    try {
      const outs = spec.map(c);
      node.outputs.forEach((o, i) => {
        if (o === "") return;
        let v = outs[i];
        if (!v) throw new NodeUnsupported(`output ${i} is not produced by the TF.js mapping`);
        if (env.keepLayout && v.ref && !isIdentity(v.perm)) {
          v = { ...v, ref: layouts.ref(v, undefined, `${c.base}/out`), perm: undefined };
        }
        values.set(o, v);
      });
    } catch (e) {
      if (e instanceof NodeUnsupported) fail(e.message);
      else throw e;
    }
  });

  const outputs: GraphIo[] = [];
  for (const vo of g.outputs) {
    const v = values.get(vo.name);
    if (!v) continue;
    const ref = layouts.ref(v, undefined, `${vo.name}/native`);
    const tfName = b.op("Identity", `${vo.name}`, [ref], { T: A.type(v.dtype) });
    outputs.push({ onnxName: vo.name, tfName, dtype: v.dtype, shape: v.shape });
  }
  const onnxTransposes = g.nodes.filter((n) => n.opType === "Transpose").length;
  const symbolicInputs = inputs.some((i) => !i.shape || i.shape.some((d) => d === null));
  return {
    builder: b,
    inputs,
    outputs,
    unsupported,
    foldedBatchNorms,
    onnxTransposes,
    channelsLastOps,
    symbolicInputs,
    precision: precisionChanges(g, consts),
  };
}

/** An input's declared shape with the user's concrete sizes (--shape) for its symbolic dims. */
function fixShape(name: string, declared: Dim[] | undefined, given: number[] | undefined): Dim[] | undefined {
  if (!given) return declared;
  if (declared && declared.length !== given.length)
    throw new UsageError(`--shape ${name}: ${given.length} dims given, the input has ${declared.length}`, {
      hint: `give all ${declared.length} dims, e.g. --shape ${name}=${declared.map((d) => d ?? 1).join(",")}`,
    });
  const bad = declared?.findIndex((d, i) => d !== null && d !== given[i]) ?? -1;
  if (bad >= 0)
    throw new UsageError(
      `--shape ${name}: dim ${bad} is fixed to ${declared![bad]} in the model, not ${given[bad]}`,
      {
        hint: "only symbolic dims can be given a size",
      },
    );
  return given;
}

/** The stored permutation an op runs with, from its spec and its data inputs. */
function choosePerm(spec: OpSpec, ins: (Val | undefined)[], keepLayout: boolean): number[] | undefined {
  if (spec.layout === "nhwc") {
    const r = ins[0]?.shape?.length;
    return r !== undefined && r >= 3 ? channelsLast(r) : undefined;
  }
  if (spec.layout !== "any" || keepLayout) return undefined;
  const idx = spec.data ?? ins.map((_, i) => i);
  const data = idx.map((i) => ins[i]).filter((v): v is Val => !!v);
  if (data.some((v) => !v.shape)) return undefined;
  const rank = Math.max(0, ...data.map((v) => v.shape!.length));
  const cand = data.find((v) => !v.const && v.shape!.length === rank && v.perm);
  return cand?.perm;
}

export type { Graph };
