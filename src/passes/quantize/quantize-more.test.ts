/** quantize: embeddings, activation options, NumPy calibration files. */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { quantize } from "./quantize.js";
import { writeModel } from "../../onnx/write.js";
import { readModel } from "../../onnx/read.js";
import { makeModel, makeNode, makeValueInfo } from "../../onnx/build.js";
import { makeMlp } from "../../onnx/fixtures.js";
import { arrayToTensor } from "../../onnx/tensor.js";
import { DT } from "../../onnx/dtypes.js";
import { randomWeights, seededRandom } from "../../onnx/random.js";
import { tempDir } from "../../../test/helpers/tmp.js";
import { npy, storedZip } from "../../../test/helpers/npy.js";

const dir = tempDir("mlpack-quantize2-");

/** The largest |q| of the first layer's int8 weights in a quantized MLP. */
async function maxAbsWeight(file: string): Promise<number> {
  const q = await readModel(file);
  const w = q.proto.graph!.initializer.find((t) => t.name === "fc0.weight_quantized")!;
  return Math.max(
    ...[...new Int8Array(w.rawData.buffer, w.rawData.byteOffset, w.rawData.length)].map(Math.abs),
  );
}

describe("quantize: embeddings and options", () => {
  it("Gather on an embedding table reads int8 rows and dequantizes them", async () => {
    const rand = seededRandom(9);
    const model = makeModel({
      inputs: [makeValueInfo("ids", DT.INT64, [1, 8])],
      outputs: [makeValueInfo("y", DT.FLOAT, [1, 8, 16])],
      initializers: [
        arrayToTensor("emb", DT.FLOAT, [10, 32], randomWeights(320, 1, rand)),
        arrayToTensor("proj", DT.FLOAT, [32, 16], randomWeights(512, 0.2, rand)),
      ],
      nodes: [
        makeNode("Gather", ["emb", "ids"], ["e"], {}, { name: "embed" }),
        makeNode("MatMul", ["e", "proj"], ["y"], {}, { name: "proj" }),
      ],
      opsets: { "": 13 },
    });
    const file = path.join(dir, "emb.onnx");
    await writeModel(model, file);
    const r = await quantize(file, path.join(dir, "emb.q.onnx"));
    expect(r.layers.map((l) => [l.node, l.status, l.detail])).toEqual([
      ["embed", "quantized", "int8 per-tensor table"],
      ["proj", "quantized", "int8 per-tensor"],
    ]);
    const q = await readModel(path.join(dir, "emb.q.onnx"));
    expect(q.proto.graph!.initializer.find((t) => t.name === "emb_quantized")!.dataType).toBe(DT.INT8);
    expect(q.proto.graph!.node.map((n) => n.opType)).toContain("DequantizeLinear");
    expect(r.accuracy.outputs[0].cosine).toBeGreaterThan(0.999);
  });

  it("--symmetric-activations gives int8 activations with zero point 0; --reduce-range 7-bit weights", async () => {
    const file = path.join(dir, "mlp.onnx");
    await writeModel(makeMlp({ widths: [32, 64, 8], seed: 2 }), file);
    const out = path.join(dir, "sym.onnx");
    const r = await quantize(file, out, {
      mode: "static",
      calibration: "random:4",
      symmetricActivations: true,
      reduceRange: true,
    });
    const q = await readModel(out);
    const zp = q.proto.graph!.initializer.find((t) => t.name === "input_zero_point")!;
    expect(zp.dataType).toBe(DT.INT8);
    expect([...zp.rawData]).toEqual([0]);
    expect(await maxAbsWeight(out)).toBe(64);
    expect(r.accuracy.outputs[0].cosine).toBeGreaterThan(0.99);
  });
});

describe("quantize: 7-bit weights by default where integer kernels run", () => {
  it("dynamic and static use [-64, 64] unless reduceRange is false; weights-only keeps 8 bits", async () => {
    const file = path.join(dir, "rr.onnx");
    await writeModel(makeMlp({ widths: [32, 64, 8], seed: 4 }), file);
    const run = async (name: string, o: Parameters<typeof quantize>[2]) => {
      const out = path.join(dir, name);
      const r = await quantize(file, out, o);
      return { max: await maxAbsWeight(out), cosine: r.accuracy.outputs[0].cosine };
    };
    const dyn = await run("rr-dyn.onnx", { mode: "dynamic" });
    expect(dyn.max).toBe(64);
    // 16-bit saturation on CPUs without VNNI cannot happen with 7-bit weights: accurate everywhere.
    expect(dyn.cosine).toBeGreaterThan(0.9995);
    expect((await run("rr-dyn8.onnx", { mode: "dynamic", reduceRange: false })).max).toBe(127);
    expect((await run("rr-static.onnx", { mode: "static", calibration: "random:4" })).max).toBe(64);
    expect((await run("rr-w8.onnx", { mode: "weights-only" })).max).toBe(127);
  });
});

describe("quantize: NumPy calibration files", () => {
  it("reads a directory of .npy files and an .npz file", async () => {
    const file = path.join(dir, "mlp2.onnx");
    await writeModel(makeMlp({ widths: [16, 32, 4], seed: 4 }), file);
    const npyDir = path.join(dir, "npy");
    fs.mkdirSync(npyDir);
    const rand = seededRandom(5);
    for (let k = 0; k < 3; k++)
      fs.writeFileSync(path.join(npyDir, `sample${k}.npy`), npy(randomWeights(32, 1, rand), [2, 16]));
    const r = await quantize(file, path.join(dir, "npy.q.onnx"), { mode: "static", calibration: npyDir });
    expect(r.accuracy.samples).toBe(3);
    expect(r.accuracy.randomInputs).toBe(false);
    const npz = path.join(dir, "calib.npz");
    fs.writeFileSync(npz, storedZip({ "input.npy": npy(randomWeights(16, 1, rand), [1, 16]) }));
    const z = await quantize(file, path.join(dir, "npz.q.onnx"), { mode: "static", calibration: npz });
    expect(z.accuracy.samples).toBe(1);
    expect(z.accuracy.outputs[0].cosine).toBeGreaterThan(0.99);
  });

  it("a sample missing an input is a clear error", async () => {
    const file = path.join(dir, "mlp2.onnx");
    const bad = path.join(dir, "bad.json");
    fs.writeFileSync(bad, JSON.stringify([{ other: [[1, 2]] }]));
    await expect(
      quantize(file, path.join(dir, "x.onnx"), { mode: "static", calibration: bad }),
    ).rejects.toThrow(/has no value for input "input"/);
  });
});
