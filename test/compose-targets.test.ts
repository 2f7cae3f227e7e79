/**
 * A composed pipeline goes through the rest of mlpack unchanged: `mlpack serve` serves it as one
 * model (uint8 image in, label out), and the TF.js converter converts it where its ops allow.
 */
import fs from "node:fs";
import path from "node:path";
import ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { composeToFile } from "../src/compose/compose.js";
import { encodeModelProto } from "../src/onnx/proto.js";
import { makeResNet } from "../src/onnx/fixtures.js";
import { convertToTfjs } from "../src/convert/tfjs/convert.js";
import type { ServeHandle } from "../src/serve/serve.js";
import { request, startServer } from "./serve-helpers.js";
import { loadTfjsDir } from "./helpers/tfjs-load.js";
import { tempDir } from "./helpers/tmp.js";
import { REPO, runBuilt, runInProcess } from "./helpers/cli.js";

const dir = tempDir("mlpack-compose-targets-");
const at = (f: string) => path.join(dir, f);
const CLASSES = Array.from({ length: 10 }, (_, i) => `class-${i}`);
const IMAGE: [number, number] = [40, 44];
const pixels = Uint8Array.from({ length: IMAGE[0] * IMAGE[1] * 3 }, (_, i) => (i * 29 + (i % 11) * 7) % 256);

let srv: ServeHandle | undefined;

beforeAll(async () => {
  fs.writeFileSync(at("resnet.onnx"), encodeModelProto(makeResNet({ softmax: false, size: 32 })));
  fs.writeFileSync(at("classes.txt"), CLASSES.join("\n"));
  // With labels (strings: onnxruntime and the server carry them) and without (for TF.js).
  const base = {
    models: [at("resnet.onnx")],
    pre: ["image:32x32:resize=36x36:mean=0.485,0.456,0.406:std=0.229,0.224,0.225"],
    baseDir: dir,
  };
  await composeToFile({ ...base, post: ["softmax", "argmax:classes.txt"] }, at("labels.onnx"));
  await composeToFile({ ...base, post: ["softmax"] }, at("probs.onnx"));
});

afterAll(async () => {
  await srv?.close();
});

describe("serve", () => {
  it("serves the composed pipeline as one model: uint8 image in, class index and label out", async () => {
    srv = await startServer({
      models: [{ name: "pipeline", version: "1", path: at("labels.onnx") }],
      maxBatchSize: 1,
    });
    const meta = await request(`${srv.url}/v2/models/pipeline`);
    expect(meta.status).toBe(200);
    expect(meta.json.inputs).toEqual([{ name: "image", datatype: "UINT8", shape: [-1, -1, 3] }]);
    const res = await request(`${srv.url}/v2/models/pipeline/infer`, {
      body: JSON.stringify({
        inputs: [{ name: "image", datatype: "UINT8", shape: [...IMAGE, 3], data: Array.from(pixels) }],
      }),
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(200);
    const s = await ort.InferenceSession.create(at("labels.onnx"));
    const want = await s.run({ image: new ort.Tensor("uint8", pixels, [...IMAGE, 3]) });
    const out = Object.fromEntries(
      (res.json.outputs as { name: string; data: unknown[] }[]).map((o) => [o.name, o.data]),
    );
    expect(out.class_index).toEqual(Array.from(want.class_index.data as BigInt64Array, Number));
    expect(out.label).toEqual(want.label.data);
    expect(CLASSES).toContain((out.label as string[])[0]);
  });
});

describe("TF.js converter", () => {
  it("converts the pipeline without string outputs and agrees with onnxruntime", async () => {
    const out = at("tfjs");
    const report = await convertToTfjs(at("probs.onnx"), out, { inputShapes: { image: [...IMAGE, 3] } });
    expect(fs.existsSync(path.join(out, "model.json"))).toBe(true);
    expect(report).toBeTruthy();
    const tf = await import("@tensorflow/tfjs");
    const model = await loadTfjsDir(out);
    const y = model.execute(
      tf.tensor(pixels, [...IMAGE, 3], "int32").cast("int32"),
    ) as import("@tensorflow/tfjs").Tensor;
    const got = Array.from(await y.data());
    const s = await ort.InferenceSession.create(at("probs.onnx"));
    const want = await s.run({ image: new ort.Tensor("uint8", pixels, [...IMAGE, 3]) });
    const ref = Array.from(want.probabilities.data as Float32Array);
    expect(got).toHaveLength(ref.length);
    for (let i = 0; i < ref.length; i++) expect(Math.abs(got[i] - ref[i])).toBeLessThan(1e-4);
  });

  it("refuses the string labels output clearly (the target cannot carry strings)", async () => {
    const err = await convertToTfjs(at("labels.onnx"), at("tfjs-labels"), {
      inputShapes: { image: [...IMAGE, 3] },
    }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/cannot be converted to TF\.js/);
    expect((err as Error).message).toMatch(/post_argmax\/label_table/);
    expect(fs.existsSync(path.join(at("tfjs-labels"), "model.json"))).toBe(false);
  });
});

describe("validate, quantize and the built CLI", () => {
  it("mlpack quantize takes the composed pipeline like any model", async () => {
    const r = await runInProcess([
      "quantize",
      at("probs.onnx"),
      "-o",
      at("probs-int8.onnx"),
      "--shape",
      `image=${IMAGE[0]},${IMAGE[1]},3`,
    ]);
    expect(r.code).toBe(0);
    const s = await ort.InferenceSession.create(at("probs-int8.onnx"));
    const y = await s.run({ image: new ort.Tensor("uint8", pixels, [...IMAGE, 3]) });
    expect(y.probabilities.dims).toEqual([1, 10]);
  });

  it("node bin/mlpack.js compose: exit 0 and a valid model; a bad connection: exit 1, no stack trace", () => {
    if (!fs.existsSync(path.join(REPO, "dist/cli/main.js"))) throw new Error("run `npm run build` first");
    const ok = runBuilt(["compose", at("resnet.onnx"), "--post", "softmax", "-o", at("built.onnx")]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/outputs: probabilities/);
    expect(runBuilt(["validate", at("built.onnx"), "--target", "ort-cpu"]).code).toBe(0);
    const bad = runBuilt([
      "compose",
      at("resnet.onnx"),
      at("resnet.onnx"),
      "--connect",
      "resnet.output=resnet_2.input",
      "-o",
      at("x.onnx"),
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /resnet\.output is tensor\(float\) \[batch, 10\] but resnet_2\.input expects tensor\(float\) \[batch, 3, 32, 32\] \(rank 2 vs 4\)/,
    );
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(at("x.onnx"))).toBe(false);
  });
});
