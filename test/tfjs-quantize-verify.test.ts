/**
 * --quantize never corrupts numbers silently: a log-mel style head (Clip with a 1e-10 floor and a
 * +Infinity max, then Log) keeps those tensors in float32 under uint8/uint16/float16, the report names
 * them and why (tiny values beside large ones, as in real conv filters, are compressed: their flush is
 * below float16's own rounding of the tensor), --strict refuses instead, and the compressed weights' worst relative error is reported.
 * Outputs are checked against onnxruntime on digital silence (zeros), where a flushed floor gives -Inf.
 */
import fs from "node:fs";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { makeModel, makeNode, makeValueInfo } from "../src/onnx/build.js";
import { arrayToTensor } from "../src/onnx/tensor.js";
import { DT } from "../src/onnx/dtypes.js";
import { encodeModelProto } from "../src/onnx/proto.js";
import { convertToTfjs } from "../src/convert/tfjs/convert.js";
import { renderConvertReport } from "../src/convert/tfjs/render.js";
import { compressionProblem } from "../src/convert/tfjs/quantize-weights.js";
import { UserError } from "../src/errors.js";
import { tempDir } from "./helpers/tmp.js";
import { loadTfjsDir, runTfjs } from "./helpers/tfjs-load.js";
import { maxRelativeError } from "./helpers/tfjs-compare.js";

const dir = tempDir("mlpack-tfjs-qverify-");
const N = 16;

function melHead(): Uint8Array {
  const w = Float32Array.from({ length: N }, (_, i) => 0.5 + 0.3 * Math.sin(i));
  return encodeModelProto(
    makeModel({
      nodes: [
        makeNode("Mul", ["x", "w"], ["m"]),
        makeNode("Clip", ["m", "floor", "ceil"], ["c"]),
        makeNode("Log", ["c"], ["l"]),
        makeNode("Mul", ["l", "ten"], ["y"]),
      ],
      inputs: [makeValueInfo("x", DT.FLOAT, [1, N])],
      outputs: [makeValueInfo("y", DT.FLOAT, [1, N])],
      initializers: [
        arrayToTensor("w", DT.FLOAT, [N], w),
        arrayToTensor("floor", DT.FLOAT, [], Float32Array.of(1e-10)),
        arrayToTensor("ceil", DT.FLOAT, [], Float32Array.of(Infinity)),
        arrayToTensor("ten", DT.FLOAT, [], Float32Array.of(10)),
      ],
    }),
  );
}

describe("compressionProblem", () => {
  it("names non-finite values, float16 overflow and flush to zero", () => {
    expect(compressionProblem(Float32Array.of(1, Infinity), "uint8")).toMatch(/Infinity at index 1/);
    expect(compressionProblem(Float32Array.of(NaN), "uint16")).toMatch(/NaN/);
    expect(compressionProblem(Float32Array.of(1e5), "float16")).toMatch(/outside the float16 range/);
    expect(compressionProblem(Float32Array.of(0, 1e-10), "float16")).toMatch(/flush to zero/);
    expect(compressionProblem(Float32Array.of(0, 1e-10, 1e5), "uint8")).toBeUndefined();
    expect(compressionProblem(Float32Array.of(0, 1e-5, 65504), "float16")).toBeUndefined();
    // A tiny value beside large ones (a real conv filter) flushes harmlessly; alone it does not.
    expect(compressionProblem(Float32Array.of(0.5, -0.25, 1e-10), "float16")).toBeUndefined();
    expect(compressionProblem(Float32Array.of(1e-6, 2e-6), "float16")).toMatch(/would become/);
  });
});

describe("--quantize keeps what the format cannot hold in float32", () => {
  const file = path.join(dir, "mel.onnx");
  fs.writeFileSync(file, melHead());
  // Digital silence and a few loud samples.
  const x = Float32Array.from({ length: N }, (_, i) => (i < N / 2 ? 0 : i * 3));

  it("matches onnxruntime on silence for uint8, uint16 and float16; the report lists the tensors", async () => {
    const s = await ort.InferenceSession.create(file);
    const want = (await s.run({ x: new ort.Tensor("float32", x, [1, N]) })).y.data as Float32Array;
    expect(want[0]).toBeCloseTo(-230.26, 1); // 10 * ln(1e-10)
    for (const q of ["uint8", "uint16", "float16"] as const) {
      const r = await convertToTfjs(file, path.join(dir, q), { quantize: q });
      const c = r.compression!;
      const kept = c.keptFloat32.map((k) => k.weight).sort();
      expect(kept.some((k) => /"ceil"/.test(k))).toBe(true);
      if (q === "float16") expect(kept.some((k) => /"floor"/.test(k))).toBe(true);
      expect(c.worstRelativeError!.error).toBeLessThan(q === "uint8" ? 5e-3 : 1e-3);
      const json = JSON.parse(fs.readFileSync(path.join(r.outDir, "model.json"), "utf8"));
      const entries = json.weightsManifest[0].weights as { name: string; quantization?: { min?: number } }[];
      for (const e of entries)
        if (e.quantization && "min" in e.quantization) expect(Number.isFinite(e.quantization.min)).toBe(true);
      const m = await loadTfjsDir(r.outDir);
      const got = (await runTfjs(m, { x: { dims: [1, N], dtype: "float32", data: x } }, ["y"])).y.data;
      m.dispose();
      expect([...got].every(Number.isFinite)).toBe(true);
      const rel = maxRelativeError(got as Float32Array, want);
      const text = renderConvertReport(r);
      console.log(`--quantize ${q}: max relative error vs onnxruntime ${rel.toExponential(2)}\n${text}`);
      expect(rel).toBeLessThan(q === "uint8" ? 1e-2 : 1e-3);
      expect(text).toMatch(/kept in float32/);
      expect(text).toMatch(/worst relative error/);
    }
  });

  it("--strict refuses and writes nothing", async () => {
    const out = path.join(dir, "strict");
    const err = await convertToTfjs(file, out, { quantize: "float16", strict: true }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/flush to zero/);
    expect((err as Error).message).toMatch(/Infinity/);
    expect(fs.existsSync(out)).toBe(false);
  });
});
