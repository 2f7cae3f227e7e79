/** `inspect`: a description of a model computed from its structure (no tensor payload is read). */
import type { LoadedModel } from "../onnx/read.js";
import { forEachStoredTensor } from "../onnx/read.js";
import { Model } from "../ir/graph.js";
import { allGraphs } from "../ir/walk.js";
import { tensorShape, typeToString, type Dim } from "../ir/types.js";
import { dtypeInfo, dtypeName, rawByteLength } from "../onnx/dtypes.js";
import { elementCount } from "../onnx/tensor.js";

export interface IoSummary {
  name: string;
  type: string | null;
  shape: Dim[] | null;
}

export interface ModelSummary {
  schemaVersion: 1;
  path: string;
  protoBytes: number;
  externalFiles: { location: string; bytes: number }[];
  producer: { name: string; version: string };
  irVersion: number;
  modelVersion: number;
  domain: string;
  docString: string;
  opsets: { domain: string; version: number }[];
  inputs: IoSummary[];
  outputs: IoSummary[];
  nodeCount: number;
  subgraphCount: number;
  ops: { domain: string; op: string; count: number }[];
  parameters: {
    count: number;
    bytes: number;
    tensors: number;
    /** Tensors held by Constant nodes rather than initializers (some exporters store weights so). */
    inConstantNodes: number;
    byDtype: { dtype: string; count: number; bytes: number; tensors: number }[];
  };
  metadata: { key: string; value: string }[];
  functions: string[];
}

export function summarizeModel(loaded: LoadedModel): ModelSummary {
  const proto = loaded.proto;
  const model = new Model(proto);
  const g = model.graph;
  const initNames = new Set(g.initializers.map((t) => t.name));
  const io = (v: { name: string; type?: Parameters<typeof typeToString>[0] }): IoSummary => ({
    name: v.name,
    type: typeToString(v.type) ?? null,
    shape: tensorShape(v.type) ?? null,
  });

  const ops = new Map<string, { domain: string; op: string; count: number }>();
  const graphs = allGraphs(g);
  let nodeCount = 0;
  for (const graph of graphs) {
    for (const n of graph.nodes) {
      nodeCount++;
      const domain = n.domain === "ai.onnx" ? "" : n.domain;
      const key = `${domain}::${n.opType}`;
      const e = ops.get(key) ?? { domain, op: n.opType, count: 0 };
      e.count++;
      ops.set(key, e);
    }
  }

  const byDtype = new Map<string, { dtype: string; count: number; bytes: number; tensors: number }>();
  let count = 0;
  let bytes = 0;
  let tensors = 0;
  let inConstantNodes = 0;
  const constantTensors = new Set<unknown>();
  for (const graph of graphs)
    for (const n of graph.nodes)
      if (n.opType === "Constant") for (const a of n.attributes) if (a.t) constantTensors.add(a.t);
  forEachStoredTensor(proto, (t) => {
    const info = dtypeInfo(t.dataType);
    const n = elementCount(t.dims.map(Number));
    const b = info && info.bits > 0 ? rawByteLength(info, n) : t.stringData.reduce((s, x) => s + x.length, 0);
    const name = dtypeName(t.dataType);
    const e = byDtype.get(name) ?? { dtype: name, count: 0, bytes: 0, tensors: 0 };
    e.count += n;
    e.bytes += b;
    e.tensors++;
    byDtype.set(name, e);
    count += n;
    bytes += b;
    tensors++;
    if (constantTensors.has(t)) inConstantNodes++;
  });

  return {
    schemaVersion: 1,
    path: loaded.source,
    protoBytes: loaded.protoBytes,
    externalFiles: loaded.externalFiles,
    producer: { name: proto.producerName, version: proto.producerVersion },
    irVersion: Number(proto.irVersion),
    modelVersion: Number(proto.modelVersion),
    domain: proto.domain,
    docString: proto.docString,
    opsets: proto.opsetImport.map((o) => ({ domain: o.domain || "ai.onnx", version: Number(o.version) })),
    inputs: g.inputs.filter((v) => !initNames.has(v.name)).map(io),
    outputs: g.outputs.map(io),
    nodeCount,
    subgraphCount: graphs.length - 1,
    ops: [...ops.values()].sort((a, b) => b.count - a.count || a.op.localeCompare(b.op)),
    parameters: {
      count,
      bytes,
      tensors,
      inConstantNodes,
      byDtype: [...byDtype.values()].sort((a, b) => b.bytes - a.bytes),
    },
    metadata: proto.metadataProps.map((m) => ({ key: m.key, value: m.value })),
    functions: proto.functions.map((f) => `${f.domain}.${f.name}`),
  };
}
