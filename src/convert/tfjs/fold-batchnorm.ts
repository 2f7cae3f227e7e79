/**
 * Pass `fold-batchnorm`: an inference BatchNormalization right after a Conv (its only reader) with
 * constant parameters is folded into the Conv's weights and bias; the BN node becomes an Identity.
 */
import type { Graph, Node } from "../../ir/graph.js";
import type { ConstData, TfDtype } from "./types.js";

type Consts = Map<string, { dtype: TfDtype; c: ConstData }>;

export function foldBatchNorms(
  order: Node[],
  consts: Consts,
  readers: Map<string, Node[]>,
  g: Graph,
): number {
  const producer = new Map<string, Node>();
  for (const n of order) for (const o of n.outputs) producer.set(o, n);
  const graphOutputs = new Set(g.outputs.map((o) => o.name));
  let folded = 0;
  for (const bn of order) {
    if (bn.opType !== "BatchNormalization" || bn.outputs.filter((o) => o !== "").length !== 1) continue;
    if (bn.attributes.some((a) => a.name === "training_mode" && a.i !== 0n)) continue;
    const conv = producer.get(bn.inputs[0]);
    if (!conv || conv.opType !== "Conv" || (readers.get(bn.inputs[0]) ?? []).length !== 1) continue;
    if (graphOutputs.has(bn.inputs[0])) continue;
    const w = consts.get(conv.inputs[1]);
    const bias = conv.inputs[2] ? consts.get(conv.inputs[2]) : undefined;
    const [scale, beta, mean, variance] = bn.inputs.slice(1, 5).map((n) => consts.get(n)?.c);
    if (!w || (conv.inputs[2] && !bias) || !scale || !beta || !mean || !variance) continue;
    const eps = bn.attributes.find((a) => a.name === "epsilon")?.f ?? 1e-5;
    const m = w.c.dims[0];
    if (scale.data.length !== m) continue;
    const per = w.c.data.length / m;
    const nw = new Float32Array(w.c.data.length);
    const nb = new Float32Array(m);
    for (let o = 0; o < m; o++) {
      const a = scale.data[o] / Math.sqrt(variance.data[o] + eps);
      for (let k = 0; k < per; k++) nw[o * per + k] = w.c.data[o * per + k] * a;
      nb[o] = ((bias?.c.data[o] ?? 0) - mean.data[o]) * a + beta.data[o];
    }
    const wName = `${conv.inputs[1]}/bn_folded`;
    const bName = `${bn.name || conv.inputs[1]}/bn_bias`;
    consts.set(wName, { dtype: "float32", c: { dims: w.c.dims, data: nw } });
    consts.set(bName, { dtype: "float32", c: { dims: [m], data: nb } });
    conv.inputs = [conv.inputs[0], wName, bName];
    bn.opType = "Identity";
    bn.inputs = [bn.inputs[0]];
    bn.attributes = [];
    folded++;
  }
  return folded;
}
