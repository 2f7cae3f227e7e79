/** The Lambda handler in process, with a real onnxruntime session: request errors are 400s, never 500s. */
import ort from "onnxruntime-node";
import { beforeAll, describe, expect, it } from "vitest";
import { makeGatherModel } from "../../../../test/serve-helpers.js";
import { readModelFromBytes } from "../../../onnx/read.js";
import { modelInfoFromProto } from "../../../serve/model-info.js";
import { createLambdaHandler, type LambdaHandler } from "./handler.js";
import type { SessionLike } from "./service.js";

let handler: LambdaHandler;
const logged: string[] = [];

beforeAll(async () => {
  const bytes = makeGatherModel();
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  const model = modelInfoFromProto(readModelFromBytes(bytes).proto, {
    name: "gather",
    version: "1",
    path: "gather.onnx",
  });
  handler = createLambdaHandler({
    session: session as unknown as SessionLike,
    Tensor: ort.Tensor,
    model,
    serverVersion: "test",
    logError: (m) => logged.push(m),
  });
});

const post = (path: string, body: string) => ({
  version: "2.0",
  rawPath: path,
  requestContext: { http: { method: "POST", path }, stage: "$default" },
  headers: { "content-type": "application/json" },
  body,
});

describe("Lambda handler", () => {
  it("answers an out-of-range index with 400 naming it (not a 500)", async () => {
    const body = JSON.stringify({ inputs: [{ name: "idx", datatype: "INT64", shape: [2], data: [1, 99] }] });
    const r = (await handler(post("/v2/models/gather/infer", body))) as { statusCode: number; body: string };
    expect(r.statusCode).toBe(400);
    expect(JSON.parse(r.body).error).toMatch(/cannot compute this request's input values: .*99/);
    expect(logged).toEqual([]);
  });

  it("answers deeply nested JSON with 400, in a body or a direct invocation", async () => {
    const deep = "[".repeat(30_000) + "]".repeat(30_000);
    const body = `{"inputs":[{"name":"idx","datatype":${deep},"shape":[1],"data":[1]}]}`;
    const r = (await handler(post("/v2/models/gather/infer", body))) as { statusCode: number; body: string };
    expect(r.statusCode).toBe(400);
    expect(JSON.parse(r.body).error).toMatch(/nested deeper than 40 levels/);
    const direct = (await handler({ inputs: { idx: JSON.parse(deep) } })) as { statusCode: number };
    expect(direct.statusCode).toBe(400);
    expect(logged).toEqual([]);
  });
});
