/** The serve-side chain of separately-served models (src/compose/chain.ts), run over real sessions. */
import ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import {
  chainMetadata,
  parsePipelineFlag,
  planChain,
  runChain,
  type ChainModelInfo,
  type ChainTensor,
} from "../src/compose/chain.js";
import { composeModels } from "../src/compose/compose.js";
import { makeMlp } from "../src/onnx/fixtures.js";
import { encodeModelProto } from "../src/onnx/proto.js";
import { modelInfoFromProto } from "../src/serve/model-info.js";
import { tempDir } from "./helpers/tmp.js";
import fs from "node:fs";
import path from "node:path";

const dir = tempDir("mlpack-compose-chain-");
const protos = {
  a: makeMlp({ widths: [4, 6, 3], seed: 1 }),
  b: makeMlp({ widths: [3, 5, 2], seed: 2 }),
};
const infos: Record<string, ChainModelInfo> = Object.fromEntries(
  Object.entries(protos).map(([name, p]) => [
    name,
    { ...modelInfoFromProto(p, { name, version: "1", path: `${name}.onnx` }), name },
  ]),
);
const lookup = (m: string) => infos[m];

async function sessions() {
  const s = Object.fromEntries(
    await Promise.all(
      Object.entries(protos).map(
        async ([n, p]) => [n, await ort.InferenceSession.create(encodeModelProto(p))] as const,
      ),
    ),
  );
  return async (model: string, inputs: ChainTensor[]): Promise<ChainTensor[]> => {
    const feeds = Object.fromEntries(
      inputs.map((t) => [t.name, new ort.Tensor("float32", Float32Array.from(t.data as number[]), t.shape)]),
    );
    const out = await s[model].run(feeds);
    return Object.entries(out).map(([name, t]) => ({
      name,
      datatype: "FP32",
      shape: [...t.dims],
      data: Array.from(t.data as Float32Array),
    }));
  };
}

describe("chain", () => {
  it("parses --pipeline NAME=A,B", () => {
    expect(parsePipelineFlag("ocr=a,b")).toEqual({ name: "ocr", models: ["a", "b"] });
    expect(() => parsePipelineFlag("ocr=a")).toThrow(/expected NAME=MODEL,MODEL/);
    expect(() => parsePipelineFlag("=a,b")).toThrow(/expected NAME=MODEL,MODEL/);
  });

  it("runs a then b and gives what the composed pipeline gives", async () => {
    const plan = planChain({ name: "ab", models: ["a", "b"] }, ["a.output=b.input"], lookup);
    expect(plan.inputs.map((i) => i.name)).toEqual(["input"]);
    expect(chainMetadata(plan)).toMatchObject({
      name: "ab",
      outputs: [{ name: "output", datatype: "FP32" }],
    });
    const x = [1, -2, 0.5, 3, 0, 1, 2, -1];
    const got = await runChain(
      plan,
      [{ name: "input", datatype: "FP32", shape: [2, 4], data: x }],
      await sessions(),
    );

    for (const [n, p] of Object.entries(protos))
      fs.writeFileSync(path.join(dir, `${n}.onnx`), encodeModelProto(p));
    const { proto } = await composeModels({
      models: ["a.onnx", "b.onnx"],
      connect: ["a.output=b.input"],
      baseDir: dir,
    });
    const s = await ort.InferenceSession.create(encodeModelProto(proto));
    const want = await s.run({ input: new ort.Tensor("float32", Float32Array.from(x), [2, 4]) });
    expect(got).toHaveLength(1);
    expect(got[0].shape).toEqual([2, 2]);
    expect(Float32Array.from(got[0].data as number[])).toEqual(want.output.data);
  });

  it("joins neighbours implicitly when each side has one value", () => {
    const plan = planChain({ name: "ab", models: ["a", "b"] }, [], lookup);
    expect(plan.steps[1].feeds).toEqual([{ input: "input", from: { step: 0, output: "output" } }]);
  });

  it("errors name both ends", async () => {
    expect(() => planChain({ name: "p", models: ["a", "zz"] }, [], lookup)).toThrow(
      /no served model named "zz"/,
    );
    expect(() => planChain({ name: "p", models: ["b", "a"] }, [], lookup)).toThrow(
      /b\.output and a\.input do not match \(dim 1 is 2 vs 4\)/,
    );
    expect(() => planChain({ name: "p", models: ["a", "b"] }, ["b.output=a.input"], lookup)).toThrow(
      /b runs after a in --pipeline p/,
    );
    expect(() => planChain({ name: "p", models: ["a", "b"] }, ["a.logits=b.input"], lookup)).toThrow(
      /"a" has no output "logits"/,
    );
    const plan = planChain({ name: "p", models: ["a", "b"] }, [], lookup);
    await expect(runChain(plan, [], await sessions())).rejects.toThrow(/the request has no input "input"/);
  });
});
