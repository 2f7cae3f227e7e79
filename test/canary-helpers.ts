/** Models and load for the canary tests: a canary that always fails, concurrent request loops. */
import { makeModel, makeNode, makeValueInfo } from "../src/onnx/build.js";
import { arrayToTensor } from "../src/onnx/tensor.js";
import { encodeModelProto } from "../src/onnx/proto.js";
import { DT } from "../src/onnx/dtypes.js";
import { request, type HttpReply } from "./serve-helpers.js";

/**
 * Takes the mlp fixture's signature (input [batch,4] → output [batch,3]) and fails on every input:
 * it asks onnxruntime for a [batch·10⁶, 4·10⁹] buffer, which is refused at once ("Failed to allocate
 * memory"), a server-side failure (500), as a model too big for its host would be.
 */
export function makeFailingMlpModel(): Uint8Array {
  const i64 = (name: string, v: bigint[]) => arrayToTensor(name, DT.INT64, [v.length], new BigInt64Array(v));
  return encodeModelProto(
    makeModel({
      nodes: [
        makeNode("Shape", ["input"], ["shape"]),
        makeNode("Mul", ["shape", "huge"], ["huge_shape"]),
        makeNode("ConstantOfShape", ["huge_shape"], ["zeros"]),
        makeNode("ReduceSum", ["zeros"], ["zero"], { keepdims: { int: 0 } }),
        makeNode("Slice", ["input", "starts", "ends", "axes"], ["first3"]),
        makeNode("Add", ["first3", "zero"], ["output"]),
      ],
      inputs: [makeValueInfo("input", DT.FLOAT, ["batch", 4])],
      outputs: [makeValueInfo("output", DT.FLOAT, ["batch", 3])],
      initializers: [
        i64("huge", [1_000_000n, 1_000_000_000n]),
        i64("starts", [0n]),
        i64("ends", [3n]),
        i64("axes", [1n]),
      ],
    }),
  );
}

export const inferBody = (i: number) =>
  JSON.stringify({
    inputs: [{ name: "input", datatype: "FP32", shape: [1, 4], data: [i % 7, 1, -1, (i % 5) / 5] }],
  });

/** `n` POSTs of inferBody(i) to `url`, `concurrency` at a time; `during(i)` runs before request i. */
export async function load(
  url: string,
  n: number,
  concurrency: number,
  during?: (i: number) => Promise<void> | void,
): Promise<HttpReply[]> {
  const replies: HttpReply[] = new Array<HttpReply>(n);
  let next = 0;
  const lane = async () => {
    while (next < n) {
      const i = next++;
      await during?.(i);
      replies[i] = await request(url, { body: inferBody(i) }).catch(
        (e: Error) => ({ status: 0, text: e.message, json: undefined, headers: new Headers() }) as HttpReply,
      );
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return replies;
}

/** Statuses other than 200, counted: {"500": 3}. */
export function failures(replies: HttpReply[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of replies) if (r.status !== 200) out[r.status] = (out[r.status] ?? 0) + 1;
  return out;
}
