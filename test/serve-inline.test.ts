/**
 * Small models run on the HTTP thread (--inline-max-ms): which models and requests qualify, and that
 * the answers are the same as on the workers. Where a batch ran shows in mlpack_inline_batches_total.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DT } from "../src/onnx/dtypes.js";
import { makeModel, makeNode, makeValueInfo } from "../src/onnx/build.js";
import { encodeModelProto } from "../src/onnx/proto.js";
import fs from "node:fs";
import { tempDir } from "./helpers/tmp.js";
import { makeLoopModel, request, startServer, writeFixtureModels } from "./serve-helpers.js";
import type { ServeHandle } from "../src/serve/serve.js";

const dir = tempDir("mlpack-serve-inline-");
const models = writeFixtureModels(dir);
const loop = path.join(dir, "loop.onnx");
fs.writeFileSync(loop, makeLoopModel());
// A symbolic non-batch dim: a request's size is not bounded by the batch size, so never inline.
const wide = path.join(dir, "wide.onnx");
fs.writeFileSync(
  wide,
  encodeModelProto(
    makeModel({
      nodes: [makeNode("Relu", ["x"], ["y"])],
      inputs: [makeValueInfo("x", DT.FLOAT, ["batch", "n"])],
      outputs: [makeValueInfo("y", DT.FLOAT, ["batch", "n"])],
    }),
  ),
);

const rows = (n: number) => Array.from({ length: n * 4 }, (_, i) => Math.sin(i) * 3);
const body = (n: number) =>
  JSON.stringify({ inputs: [{ name: "input", datatype: "FP32", shape: [n, 4], data: rows(n) }] });

async function inlineBatches(url: string, model: string): Promise<number> {
  const m = await request(`${url}/metrics`);
  const line = new RegExp(`mlpack_inline_batches_total\\{model="${model}"[^}]*\\} (\\d+)`).exec(m.text);
  return line ? Number(line[1]) : 0;
}

describe("inline execution", () => {
  let inline: ServeHandle;
  let workers: ServeHandle;

  beforeAll(async () => {
    const all = [
      { name: "mlp", version: "1", path: models.mlp },
      { name: "loop", version: "1", path: loop },
      { name: "wide", version: "1", path: wide },
      { name: "fixed", version: "1", path: models.fixed },
    ];
    [inline, workers] = await Promise.all([
      startServer({ models: all, maxBatchSize: 8 }),
      startServer({ models: all, maxBatchSize: 8, inlineMaxMs: 0 }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([inline?.close(), workers?.close()]);
  });

  it("a small model runs on the HTTP thread for requests up to the batch size, on workers beyond it, with the same answers", async () => {
    for (const n of [1, 8, 9, 50]) {
      const before = await inlineBatches(inline.url, "mlp");
      const [a, b] = await Promise.all(
        [inline, workers].map((s) => request(`${s.url}/v2/models/mlp/infer`, { body: body(n) })),
      );
      expect(a.status, a.text).toBe(200);
      expect(a.json.outputs).toEqual(b.json.outputs);
      expect(a.json.outputs[0].shape).toEqual([n, 3]);
      expect((await inlineBatches(inline.url, "mlp")) - before).toBe(n <= 8 ? 1 : 0);
    }
    expect(await inlineBatches(workers.url, "mlp")).toBe(0);
  });

  it("a fixed-shape model runs inline; a Loop model and a model with a symbolic non-batch dim never do", async () => {
    const fixed = await request(`${inline.url}/v2/models/fixed/infer`, {
      body: JSON.stringify({
        inputs: [{ name: "x", datatype: "FP32", shape: [2, 3], data: [-1, 2, -3, 4, -5, 6] }],
      }),
    });
    expect(fixed.json.outputs[0].data).toEqual([0, 2, 0, 4, 0, 6]);
    expect(await inlineBatches(inline.url, "fixed")).toBe(1);
    const l = await request(`${inline.url}/v2/models/loop/infer`, {
      body: JSON.stringify({
        inputs: [
          { name: "x", datatype: "FP32", shape: [1, 1], data: [1] },
          { name: "n", datatype: "INT64", shape: [1], data: [3] },
        ],
      }),
    });
    expect(l.status, l.text).toBe(200);
    const w = await request(`${inline.url}/v2/models/wide/infer`, {
      body: JSON.stringify({ inputs: [{ name: "x", datatype: "FP32", shape: [1, 3], data: [-1, 0, 1] }] }),
    });
    expect(w.json.outputs[0].data).toEqual([0, 0, 1]);
    expect(await inlineBatches(inline.url, "loop")).toBe(0);
    expect(await inlineBatches(inline.url, "wide")).toBe(0);
  });
});
