/**
 * ort-direct.ts: the worker threads' session calls onnxruntime-node's native session directly. It must
 * say the same about the model as the public API, give bit-identical outputs, and fail as it does.
 */
import fs from "node:fs";
import path from "node:path";
import ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { tempDir } from "./helpers/tmp.js";
import { makeGatherModel } from "./serve-helpers.js";
import { makeMlp } from "../src/onnx/fixtures.js";
import { makeModel, makeNode, makeValueInfo } from "../src/onnx/build.js";
import { DT } from "../src/onnx/dtypes.js";
import { writeModel } from "../src/index.js";
import { openWorkerSession } from "../src/ort-direct.js";
import { ortSessionOptions } from "../src/ort-session.js";

const dir = tempDir("mlpack-ort-direct-");

describe("openWorkerSession", () => {
  it("reaches the native session and matches the public API: metadata and outputs", async () => {
    const file = path.join(dir, "mlp.onnx");
    await writeModel(makeMlp({ widths: [16, 32, 4], seed: 7 }), file);
    const options = ortSessionOptions(1);
    const direct = await openWorkerSession(file, options);
    const pub = await ort.InferenceSession.create(file, options);
    expect(direct.direct).toBe(true);
    expect(direct.inputNames).toEqual(pub.inputNames);
    expect(direct.outputNames).toEqual(pub.outputNames);
    expect(direct.inputMetadata).toEqual(pub.inputMetadata);
    expect(direct.outputMetadata).toEqual(pub.outputMetadata);
    // a symbolic batch dim comes back by its name, as the public API gives it
    expect(direct.inputMetadata[0]).toMatchObject({ isTensor: true, type: "float32" });
    expect(typeof (direct.inputMetadata[0] as { shape: readonly unknown[] }).shape[0]).toBe("string");

    const x = new ort.Tensor(
      "float32",
      Float32Array.from({ length: 5 * 16 }, (_, i) => Math.sin(i)),
      [5, 16],
    );
    const got = direct.run({ [direct.inputNames[0]]: x });
    expect(got).not.toBeInstanceOf(Promise);
    const want = await pub.run({ [pub.inputNames[0]]: x });
    for (const name of pub.outputNames) {
      const g = (got as Record<string, ort.Tensor>)[name];
      expect(g.dims).toEqual(want[name].dims);
      expect(g.type).toBe(want[name].type);
      expect(Array.from(g.data as Float32Array)).toEqual(Array.from(want[name].data as Float32Array));
    }
    await direct.release();
    await pub.release();
  });

  it("throws onnxruntime's own error for input values it refuses", async () => {
    const file = path.join(dir, "gather.onnx");
    fs.writeFileSync(file, makeGatherModel());
    const s = await openWorkerSession(file, ortSessionOptions(1));
    const idx = new ort.Tensor("int64", BigInt64Array.from([1n, 900_000n]), [2]);
    expect(() => s.run({ [s.inputNames[0]]: idx })).toThrow(/900000/);
    // and the session still runs afterwards
    const ok = s.run({ [s.inputNames[0]]: new ort.Tensor("int64", BigInt64Array.from([2n]), [1]) });
    expect(Array.from((ok as Record<string, ort.Tensor>)[s.outputNames[0]].data as Float32Array)).toEqual([
      2, 2.5, 4,
    ]);
    await s.release();
  });

  it("refuses what the public API refuses, in its words: a bfloat16 output", async () => {
    const file = path.join(dir, "bf16.onnx");
    await writeModel(
      makeModel({
        nodes: [makeNode("Cast", ["x"], ["y"], { to: { int: DT.BFLOAT16 } })],
        inputs: [makeValueInfo("x", DT.FLOAT, ["n"])],
        outputs: [makeValueInfo("y", DT.BFLOAT16, ["n"])],
      }),
      file,
    );
    const options = ortSessionOptions(1);
    const pub = await ort.InferenceSession.create(file, options).then(
      () => "loaded",
      (e: Error) => e.message,
    );
    expect(pub).toMatch(/Unsupported data type: 16/);
    await expect(openWorkerSession(file, options)).rejects.toThrow(pub);
  });

  it("leaves options that name execution providers to the public API", async () => {
    const file = path.join(dir, "mlp2.onnx");
    await writeModel(makeMlp({ widths: [4, 2], seed: 1 }), file);
    const s = await openWorkerSession(file, { ...ortSessionOptions(1), executionProviders: ["cpu"] });
    expect(s.direct).toBe(false);
    const x = new ort.Tensor("float32", new Float32Array(4), [1, 4]);
    const out = await s.run({ [s.inputNames[0]]: x });
    expect(out[s.outputNames[0]].dims).toEqual([1, 2]);
    await s.release();
  });
});
