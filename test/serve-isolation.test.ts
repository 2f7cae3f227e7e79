/**
 * Fault isolation: a Gather model with out-of-range indices in some requests. onnxruntime fails the
 * whole batch and quotes the bad index; the scheduler must bisect and re-run so that every good
 * request still gets 200 with its exact rows, and every bad one 400 naming only its own value.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "./helpers/tmp.js";
import { GATHER_ROWS, makeGatherModel, request, startServer } from "./serve-helpers.js";
import type { ServeHandle } from "../src/serve/serve.js";

const N = 240;
const dir = tempDir("mlpack-serve-isolation-");
const file = path.join(dir, "gather.onnx");
fs.writeFileSync(file, makeGatherModel());

/** Request i: rows of good indices; every 7th request also holds one unique out-of-range index. */
function indicesOf(i: number): number[] {
  const rows = (i % 3) + 1;
  const idx = Array.from({ length: rows }, (_, k) => (i + k) % GATHER_ROWS);
  if (i % 7 === 3) idx[rows - 1] = 700_000 + i;
  return idx;
}

// The same on the workers and on the HTTP thread (a model this small runs inline by default).
describe.each([
  { where: "on workers", inlineMaxMs: 0 },
  { where: "on the HTTP thread", inlineMaxMs: 100 },
])("fault isolation $where", ({ inlineMaxMs }) => {
  let srv: ServeHandle;

  beforeAll(async () => {
    srv = await startServer({
      models: [{ name: "gather", version: "1", path: file }],
      workers: 2,
      maxBatchSize: 16,
      maxQueueDelayMs: 5,
      inlineMaxMs,
    });
  });

  afterAll(async () => {
    await srv?.close();
  });

  it(`${N} concurrent requests, some with out-of-range indices: only those fail, with 400 and no foreign data`, async () => {
    const replies = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        request(`${srv.url}/v2/models/gather/infer`, {
          body: JSON.stringify({
            inputs: [{ name: "idx", datatype: "INT64", shape: [indicesOf(i).length], data: indicesOf(i) }],
          }),
        }),
      ),
    );
    let good = 0;
    let bad = 0;
    replies.forEach((r, i) => {
      const idx = indicesOf(i);
      if (i % 7 === 3) {
        bad++;
        expect(r.status, r.text).toBe(400);
        expect(r.json.error).toContain(String(700_000 + i));
        // No other request's value: every out-of-range index is 700000 + its request number.
        const foreign = (r.text.match(/7\d{5}/g) ?? []).filter((s) => s !== String(700_000 + i));
        expect(foreign).toEqual([]);
      } else {
        good++;
        expect(r.status, r.text).toBe(200);
        expect(r.json.outputs[0].shape).toEqual([idx.length, 3]);
        expect(r.json.outputs[0].data).toEqual(idx.flatMap((k) => [k, k + 0.5, k * k]));
      }
    });
    expect(bad).toBeGreaterThan(30);
    expect(good).toBeGreaterThan(200);
    const metrics = await request(`${srv.url}/metrics`);
    const inline = /mlpack_inline_batches_total\{[^}]*\} [1-9]/;
    if (inlineMaxMs > 0) {
      // Inline runs take microseconds, so requests rarely wait long enough to share a batch here;
      // the bisection is the scheduler's and is runner-independent (the worker case proves it).
      expect(metrics.text).toMatch(inline);
    } else {
      // Batches did form and fail (else this test would not exercise the bisection).
      expect(metrics.text).toMatch(/mlpack_batch_splits_total\{[^}]*\} [1-9]/);
      expect(metrics.text).not.toMatch(inline);
    }
  });

  it("a bad request alone (no batch) is a 400 that names the problem", async () => {
    const r = await request(`${srv.url}/v2/models/gather/infer`, {
      body: JSON.stringify({ inputs: [{ name: "idx", datatype: "INT64", shape: [1], data: [42] }] }),
    });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatch(/cannot compute this request's input values: .*42/);
  });
});
