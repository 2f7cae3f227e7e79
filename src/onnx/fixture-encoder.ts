/**
 * A BERT-style transformer encoder built in code (random but seeded weights), for the quantizer's
 * attention path and its benchmark: per layer, Q/K/V projections, multi-head attention
 * (MatMul(Q, K^T) -> scale -> Softmax -> MatMul(P, V)), an output projection, residual + LayerNorm, a
 * ReLU feed-forward block, residual + LayerNorm. Input "x" [batch, seq, hidden] (embeddings).
 */
import { makeModel, makeNode, makeValueInfo } from "./build.js";
import { arrayToTensor } from "./tensor.js";
import { DT } from "./dtypes.js";
import { randomWeights, seededRandom } from "./random.js";
import type { ModelProto, NodeProto, TensorProto } from "./proto.js";

export interface EncoderSpec {
  layers?: number;
  hidden?: number;
  heads?: number;
  /** Sequence length; default symbolic ("seq"). */
  seq?: number;
  ffn?: number;
  seed?: number;
}

/** The attention MatMuls (two activation inputs) of layer i are named `l{i}_scores` and `l{i}_context`. */
export function makeEncoder(spec: EncoderSpec = {}): ModelProto {
  const layers = spec.layers ?? 4;
  const hidden = spec.hidden ?? 256;
  const heads = spec.heads ?? 4;
  const ffn = spec.ffn ?? hidden * 4;
  const d = hidden / heads;
  const rand = seededRandom(spec.seed ?? 11);
  const nodes: NodeProto[] = [];
  const inits: TensorProto[] = [];
  const init = (name: string, dims: number[], data: Float32Array | BigInt64Array) => {
    inits.push(arrayToTensor(name, data instanceof BigInt64Array ? DT.INT64 : DT.FLOAT, dims, data));
    return name;
  };
  const dense = (x: string, name: string, k: number, n: number) => {
    const w = init(`${name}.weight`, [k, n], randomWeights(k * n, Math.sqrt(1 / k), rand));
    const b = init(`${name}.bias`, [n], randomWeights(n, 0.02, rand));
    nodes.push(makeNode("MatMul", [x, w], [`${name}.mm`], {}, { name }));
    nodes.push(makeNode("Add", [`${name}.mm`, b], [`${name}.out`], {}, { name: `${name}.add` }));
    return `${name}.out`;
  };
  const layerNorm = (x: string, name: string) => {
    const g = init(`${name}.gamma`, [hidden], new Float32Array(hidden).fill(1));
    const b = init(`${name}.beta`, [hidden], new Float32Array(hidden));
    nodes.push(makeNode("LayerNormalization", [x, g, b], [`${name}.out`], { axis: { int: -1 } }, { name }));
    return `${name}.out`;
  };
  const headsShape = init("heads_shape", [4], BigInt64Array.from([0n, 0n, BigInt(heads), BigInt(d)]));
  const mergedShape = init("merged_shape", [3], BigInt64Array.from([0n, 0n, BigInt(hidden)]));
  const scale = init("attention_scale", [], Float32Array.of(1 / Math.sqrt(d)));
  let x = "x";
  for (let i = 0; i < layers; i++) {
    const p = `l${i}`;
    const split = (name: string, perm: number[]) => {
      const y = dense(x, `${p}_${name}`, hidden, hidden);
      nodes.push(
        makeNode("Reshape", [y, headsShape], [`${p}_${name}.heads`], {}, { name: `${p}_${name}.reshape` }),
      );
      nodes.push(
        makeNode(
          "Transpose",
          [`${p}_${name}.heads`],
          [`${p}_${name}.t`],
          { perm: { ints: perm } },
          { name: `${p}_${name}.transpose` },
        ),
      );
      return `${p}_${name}.t`;
    };
    const q = split("q", [0, 2, 1, 3]);
    const k = split("k", [0, 2, 3, 1]);
    const v = split("v", [0, 2, 1, 3]);
    nodes.push(
      makeNode("MatMul", [q, k], [`${p}_scores.out`], {}, { name: `${p}_scores` }),
      makeNode("Mul", [`${p}_scores.out`, scale], [`${p}_scaled`], {}, { name: `${p}_scale` }),
      makeNode("Softmax", [`${p}_scaled`], [`${p}_probs`], { axis: { int: -1 } }, { name: `${p}_softmax` }),
      makeNode("MatMul", [`${p}_probs`, v], [`${p}_context.out`], {}, { name: `${p}_context` }),
      makeNode(
        "Transpose",
        [`${p}_context.out`],
        [`${p}_context.t`],
        { perm: { ints: [0, 2, 1, 3] } },
        { name: `${p}_context.transpose` },
      ),
      makeNode("Reshape", [`${p}_context.t`, mergedShape], [`${p}_merged`], {}, { name: `${p}_merge` }),
    );
    const attn = dense(`${p}_merged`, `${p}_o`, hidden, hidden);
    nodes.push(makeNode("Add", [x, attn], [`${p}_res1`], {}, { name: `${p}_res1` }));
    const h = layerNorm(`${p}_res1`, `${p}_ln1`);
    const f1 = dense(h, `${p}_ffn1`, hidden, ffn);
    nodes.push(makeNode("Relu", [f1], [`${p}_ffn1.relu`], {}, { name: `${p}_ffn1.relu` }));
    const f2 = dense(`${p}_ffn1.relu`, `${p}_ffn2`, ffn, hidden);
    nodes.push(makeNode("Add", [h, f2], [`${p}_res2`], {}, { name: `${p}_res2` }));
    x = layerNorm(`${p}_res2`, `${p}_ln2`);
  }
  nodes.push(makeNode("Identity", [x], ["y"], {}, { name: "output" }));
  const seq = spec.seq ?? "seq";
  return makeModel({
    nodes,
    inputs: [makeValueInfo("x", DT.FLOAT, ["batch", seq, hidden])],
    outputs: [makeValueInfo("y", DT.FLOAT, ["batch", seq, hidden])],
    initializers: inits,
    opsets: { "": 17 },
  });
}
