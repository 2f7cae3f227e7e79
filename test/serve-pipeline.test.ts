/**
 * `mlpack serve --pipeline NAME=A,B`: a chain of separately-served models answers as one model over
 * real HTTP, each step through its own model's batcher, with exactly what running the pieces in
 * sequence in onnxruntime-node gives; plan errors fail before listening; bad requests are 400.
 */
import fs from "node:fs";
import path from "node:path";
import ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeMlp } from "../src/onnx/fixtures.js";
import { encodeModelProto } from "../src/onnx/proto.js";
import { SERVE_DEFAULTS } from "../src/serve/options.js";
import { parsePipelineFlags } from "../src/serve/pipelines.js";
import { serve, type ServeHandle } from "../src/serve/serve.js";
import { runInProcess as runCli } from "./helpers/cli.js";
import { tempDir } from "./helpers/tmp.js";
import { request } from "./serve-helpers.js";

const dir = tempDir("mlpack-serve-pipeline-");
const file = (n: string) => path.join(dir, `${n}.onnx`);
let srv: ServeHandle;

const start = (pipelines: string[], connects: string[] = []) =>
  serve(
    {
      ...SERVE_DEFAULTS,
      port: 0,
      intraOpThreads: 1,
      models: ["a", "b", "c"].map((name) => ({ name, version: "1", path: file(name) })),
    },
    { pipelines: parsePipelineFlags(pipelines, connects) },
  );

/** a (4→3) then b (3→2), in onnxruntime-node directly. */
async function reference(rows: number[][]): Promise<number[]> {
  const a = await ort.InferenceSession.create(file("a"));
  const b = await ort.InferenceSession.create(file("b"));
  const x = new ort.Tensor("float32", Float32Array.from(rows.flat()), [rows.length, 4]);
  const mid = (await a.run({ input: x })).output;
  const out = (await b.run({ input: mid })).output;
  return Array.from(out.data as Float32Array);
}

beforeAll(async () => {
  fs.writeFileSync(file("a"), encodeModelProto(makeMlp({ widths: [4, 6, 3], seed: 1 })));
  fs.writeFileSync(file("b"), encodeModelProto(makeMlp({ widths: [3, 5, 2], seed: 2 })));
  fs.writeFileSync(file("c"), encodeModelProto(makeMlp({ widths: [5, 2], seed: 3 })));
  srv = await start(["ab=a,b"]);
});
afterAll(async () => srv?.close());

describe("serve --pipeline", () => {
  it("answers as one model with what the pieces give in sequence, under concurrency", async () => {
    const meta = await request(`${srv.url}/v2/models/ab`);
    expect(meta.status).toBe(200);
    expect(meta.json.inputs).toEqual([{ name: "input", datatype: "FP32", shape: [-1, 4] }]);
    expect(meta.json.outputs[0].shape).toEqual([-1, 2]);
    const rows = Array.from({ length: 40 }, (_, i) => [i / 10, -i / 7, 0.5, i % 3]);
    const want = await reference(rows);
    const replies = await Promise.all(
      rows.map((r) =>
        request(`${srv.url}/v2/models/ab/infer`, {
          body: JSON.stringify({ inputs: [{ name: "input", datatype: "FP32", shape: [1, 4], data: r }] }),
        }),
      ),
    );
    replies.forEach((r, i) => {
      expect(r.status, r.text).toBe(200);
      expect(r.json.model_name).toBe("ab");
      // FP32 values are written as the shortest text of the float32 value: compare as float32.
      const got = (r.json.outputs[0].data as number[]).map((v) => Math.fround(v));
      expect(got).toEqual(want.slice(i * 2, i * 2 + 2).map((v) => Math.fround(v)));
    });
    // The pieces stay addressable on their own.
    const a = await request(`${srv.url}/v2/models/a/ready`);
    expect(a.status).toBe(200);
  });

  it("a request without the pipeline's input, or asking for an unknown output, is 400", async () => {
    const missing = await request(`${srv.url}/v2/models/ab/infer`, {
      body: JSON.stringify({ inputs: [{ name: "x", datatype: "FP32", shape: [1, 4], data: [1, 2, 3, 4] }] }),
    });
    expect(missing.status).toBe(400);
    const out = await request(`${srv.url}/v2/models/ab/infer`, {
      body: JSON.stringify({
        inputs: [{ name: "input", datatype: "FP32", shape: [1, 4], data: [1, 2, 3, 4] }],
        outputs: [{ name: "nope" }],
      }),
    });
    expect(out.status).toBe(400);
    expect(out.json.error).toMatch(/no output "nope"/);
  });

  it("plan errors fail at start-up, naming both ends", async () => {
    await expect(start(["bad=a,c"])).rejects.toThrow(
      /a\.output and c\.input do not match \(dim 1 is 3 vs 5\)/,
    );
    await expect(start(["bad=a,zz"])).rejects.toThrow(/no served model named "zz"/);
    await expect(start(["a=a,b"])).rejects.toThrow(/a served model already has this name/);
    expect(() => parsePipelineFlags(["p=a,b"], ["b.output=c.input"])).toThrow(
      /no --pipeline chains both of these models/,
    );
    const cli = await runCli(["serve", file("a"), "--pipeline", "p"]);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(/expected NAME=MODEL,MODEL/);
  });
});
