/** Dynamic mode on attention: MatMuls of two activations become uint8 x uint8 MatMulInteger. */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { makeEncoder } from "../../onnx/fixture-encoder.js";
import { decodeModelProto, encodeModelProto } from "../../onnx/proto.js";
import { quantize } from "./quantize.js";
import { tempDir } from "../../../test/helpers/tmp.js";

describe("dynamic quantization of attention MatMuls", () => {
  const dir = tempDir();
  const model = path.join(dir, "encoder.onnx");
  fs.writeFileSync(model, encodeModelProto(makeEncoder({ layers: 2, hidden: 32, heads: 2, seq: 16 })));

  it("quantizes Q x K^T and P x V with both inputs quantized at run time; onnxruntime runs it", async () => {
    const out = path.join(dir, "q.onnx");
    const r = await quantize(model, out, { shapes: ["x=1,16,32"], eval: "random:4" });
    const attention = r.layers.filter((l) => /_(scores|context)$/.test(l.node));
    expect(attention).toHaveLength(4);
    for (const l of attention) expect([l.status, l.weight]).toEqual(["quantized", undefined]);
    expect(r.quantizedLayers).toBe(r.layers.length);
    const g = decodeModelProto(fs.readFileSync(out)).graph!;
    const inits = new Set(g.initializer.map((t) => t.name));
    const mm = g.node.find((n) => n.name.startsWith("l0_scores_MatMulInteger"))!;
    // both operands and zero points come from DynamicQuantizeLinear, none is a constant
    expect(mm.input.filter((i) => inits.has(i))).toEqual([]);
    const producers = new Map(g.node.flatMap((n) => n.output.map((o) => [o, n.opType] as const)));
    expect(mm.input.map((i) => producers.get(i))).toEqual(Array(4).fill("DynamicQuantizeLinear"));
    expect(Math.min(...r.accuracy.outputs.map((o) => o.cosine))).toBeGreaterThan(0.999);
  });

  it("--exclude keeps an attention MatMul in float", async () => {
    const r = await quantize(model, path.join(dir, "q2.onnx"), {
      shapes: ["x=1,16,32"],
      eval: "random:2",
      exclude: ["l0_scores"],
    });
    expect(r.layers.find((l) => l.node === "l0_scores")).toMatchObject({ status: "skipped" });
    expect(r.layers.find((l) => l.node === "l1_scores")).toMatchObject({ status: "quantized" });
  });
});
