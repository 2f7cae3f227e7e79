/**
 * Dynamic batching correctness: 200 concurrent requests with distinct inputs (1-3 rows each) are
 * concatenated into batches, and every caller gets exactly the outputs a single in-process run of its
 * own rows gives.
 */
import fs from "node:fs";
import path from "node:path";
import ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "./helpers/tmp.js";
import { request, startServer } from "./serve-helpers.js";
import { makeMlp } from "../src/onnx/fixtures.js";
import { encodeModelProto } from "../src/onnx/proto.js";
import { seededRandom } from "../src/onnx/random.js";
import type { ServeHandle } from "../src/serve/serve.js";

const N = 200;
const WIDTH = 16;
const dir = tempDir("mlpack-serve-batch-");
const file = path.join(dir, "mlp.onnx");
let srv: ServeHandle;

beforeAll(async () => {
  // Hidden layers of 2048 and one worker: a run takes a few ms, longer than the HTTP thread needs to
  // take in the next requests, so requests queue behind the busy worker and form batches even on a
  // quiet machine (an idle worker takes a lone request at once).
  fs.writeFileSync(file, encodeModelProto(makeMlp({ widths: [WIDTH, 2048, 2048, 8], seed: 7 })));
  srv = await startServer({
    models: [{ name: "mlp", version: "1", path: file }],
    workers: 1,
    maxBatchSize: 16,
    maxQueueDelayMs: 5,
  });
});

afterAll(async () => {
  await srv?.close();
});

describe("dynamic batching", () => {
  it(`${N} concurrent requests get exactly their own rows, as single in-process runs compute them`, async () => {
    const rand = seededRandom(42);
    const requests = Array.from({ length: N }, (_, i) => {
      const rows = (i % 3) + 1;
      return { rows, data: Array.from({ length: rows * WIDTH }, () => Math.fround(rand() * 4 - 2)) };
    });

    const replies = await Promise.all(
      requests.map((r, i) =>
        request(`${srv.url}/v2/models/mlp/infer`, {
          body: JSON.stringify({
            id: `r${i}`,
            inputs: [{ name: "input", datatype: "FP32", shape: [r.rows, WIDTH], data: r.data }],
          }),
        }),
      ),
    );

    const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1 });
    for (let i = 0; i < N; i++) {
      const r = requests[i];
      const want = await session.run({
        input: new ort.Tensor("float32", Float32Array.from(r.data), [r.rows, WIDTH]),
      });
      const got = replies[i].json;
      expect(replies[i].status).toBe(200);
      expect(got.id).toBe(`r${i}`);
      expect(got.outputs[0].shape).toEqual([r.rows, 8]);
      expect(got.outputs[0].data.map(Math.fround)).toEqual(Array.from(want.output.data as Float32Array));
    }
    await session.release();
    // Requests really differ from one another, so a reply carrying a neighbour's rows would not match.
    expect(new Set(requests.map((r) => r.data.join(","))).size).toBe(N);

    // The requests really were batched: fewer batches than requests, every row accounted for.
    const metrics = (await request(`${srv.url}/metrics`)).text;
    const count = Number(/mlpack_batch_size_count\{model="mlp",version="1"\} (\d+)/.exec(metrics)![1]);
    const rows = Number(/mlpack_batch_size_sum\{model="mlp",version="1"\} (\d+)/.exec(metrics)![1]);
    expect(rows).toBe(requests.reduce((n, r) => n + r.rows, 0));
    expect(count).toBeLessThan(N);
    expect(metrics).toMatch(/mlpack_batch_size_bucket\{model="mlp",version="1",le="4"\} (\d+)/);
    const upTo4 = Number(
      /mlpack_batch_size_bucket\{model="mlp",version="1",le="4"\} (\d+)/.exec(metrics)![1],
    );
    expect(upTo4).toBeLessThan(count); // some batches held more than one request's rows
  });
});
