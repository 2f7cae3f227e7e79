/**
 * gRPC (OIP v2, --grpc-port) with a real grpc-js client, against the REST answers for the same inputs:
 * the example MLP, a real trained model (openWakeWord's hello_deepa head), every datatype through typed
 * contents and raw_input_contents, hostile messages (clean INVALID_ARGUMENT, the server keeps
 * serving), gRPC and REST sharing one batcher, and shutdown closing the gRPC listener.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as grpc from "@grpc/grpc-js";
import { REPO } from "./helpers/cli.js";
import { tempDir } from "./helpers/tmp.js";
import { oipGrpcClient, type OipGrpcClient } from "./helpers/grpc-client.js";
import {
  ECHO_TYPES,
  makeGatherModel,
  request,
  startCli,
  startServer,
  writeFixtureModels,
} from "./serve-helpers.js";
import { seededRandom } from "../src/onnx/random.js";
import { makeModel, makeNode, makeValueInfo } from "../src/onnx/build.js";
import { encodeModelProto } from "../src/onnx/proto.js";
import type { ServeHandle } from "../src/serve/serve.js";

const dir = tempDir("mlpack-serve-grpc-");
const WAKE = path.join(REPO, "node_modules/openwakeword-js/models/hello_deepa.onnx");
let srv: ServeHandle;
let client: OipGrpcClient;

beforeAll(async () => {
  const fx = writeFixtureModels(dir);
  const echoTyped = path.join(dir, "echo-typed.onnx");
  const typed = ECHO_TYPES.filter(([n]) => n !== "FP16");
  fs.writeFileSync(
    echoTyped,
    encodeModelProto(
      makeModel({
        nodes: typed.map(([n]) => makeNode("Identity", [`x_${n}`], [`y_${n}`])),
        inputs: typed.map(([n, t]) => makeValueInfo(`x_${n}`, t, ["batch", 2])),
        outputs: typed.map(([n, t]) => makeValueInfo(`y_${n}`, t, ["batch", 2])),
      }),
    ),
  );
  const gather = path.join(dir, "gather.onnx");
  fs.writeFileSync(gather, makeGatherModel());
  srv = await startServer({
    models: [
      { name: "mlp", version: "1", path: path.join(REPO, "examples/mlp/model.onnx") },
      { name: "wake", version: "1", path: WAKE },
      { name: "echo", version: "1", path: fx.echo },
      { name: "echoTyped", version: "1", path: echoTyped },
      { name: "gather", version: "1", path: gather },
    ],
    grpcPort: 0,
    maxBatchSize: 16,
    maxQueueDelayMs: 5,
  });
  client = oipGrpcClient(`127.0.0.1:${srv.grpc!.port}`);
});

afterAll(async () => {
  client?.close();
  await srv?.close();
});

const rand = seededRandom(5);
const floats = (n: number) => Array.from({ length: n }, () => Math.fround(rand() * 4 - 2));
const f32Bytes = (xs: number[]) => Buffer.from(new Float32Array(xs).buffer);
const fromRaw = (b: Uint8Array) => Array.from(new Float32Array(new Uint8Array(b).buffer));

async function rest(model: string, name: string, shape: number[], data: number[]) {
  const r = await request(`${srv.url}/v2/models/${model}/infer`, {
    body: JSON.stringify({ inputs: [{ name, datatype: "FP32", shape, data }] }),
  });
  expect(r.status, r.text).toBe(200);
  const out = r.json.outputs[0] as { name: string; shape: number[]; data: number[] };
  // REST writes each float32 as its shortest text; as float32 it is the same value gRPC carries.
  return { ...out, data: out.data.map(Math.fround) };
}

describe("gRPC health and metadata", () => {
  it("ServerLive, ServerReady, ServerMetadata, ModelReady, ModelMetadata (same as REST)", async () => {
    expect((await client.call("ServerLive", {})).value).toEqual({ live: true });
    expect((await client.call("ServerReady", {})).value).toEqual({ ready: true });
    const meta = await client.call("ServerMetadata", {});
    expect(meta.value.name).toBe("mlpack");
    expect(meta.value.extensions).toContain("binary_tensor_data");
    expect((await client.call("ModelReady", { name: "mlp" })).value).toEqual({ ready: true });
    const unknown = await client.call("ModelReady", { name: "nope" });
    expect(unknown.code).toBe(grpc.status.NOT_FOUND);
    expect(unknown.details).toMatch(/unknown model "nope"/);
    const mm = await client.call("ModelMetadata", { name: "mlp", version: "1" });
    const restMeta = (await request(`${srv.url}/v2/models/mlp`)).json;
    expect({
      ...mm.value,
      inputs: mm.value.inputs.map((t: { shape: string[] }) => ({ ...t, shape: t.shape.map(Number) })),
      outputs: mm.value.outputs.map((t: { shape: string[] }) => ({ ...t, shape: t.shape.map(Number) })),
    }).toEqual(restMeta);
    expect((await client.call("ModelMetadata", { name: "mlp", version: "7" })).code).toBe(
      grpc.status.NOT_FOUND,
    );
  });
});

describe("gRPC ModelInfer against REST", () => {
  it("example MLP: fp32_contents and raw_input_contents give REST's exact values", async () => {
    const x = floats(3 * 64);
    const want = await rest("mlp", "input", [3, 64], x);
    const typed = await client.call("ModelInfer", {
      model_name: "mlp",
      id: "req-1",
      inputs: [{ name: "input", datatype: "FP32", shape: [3, 64], contents: { fp32_contents: x } }],
    });
    expect(typed.ok, typed.details).toBe(true);
    expect(typed.value.id).toBe("req-1");
    expect(typed.value.model_version).toBe("1");
    const out = typed.value.outputs[0];
    expect([out.name, out.datatype, out.shape.map(Number)]).toEqual(["output", "FP32", [3, 10]]);
    expect(out.contents.fp32_contents).toEqual(want.data);
    const raw = await client.call("ModelInfer", {
      model_name: "mlp",
      inputs: [{ name: "input", datatype: "FP32", shape: [3, 64] }],
      raw_input_contents: [f32Bytes(x)],
    });
    expect(raw.ok, raw.details).toBe(true);
    expect(raw.value.outputs[0].contents).toBeNull();
    expect(fromRaw(raw.value.raw_output_contents[0])).toEqual(want.data);
    // Protobuf floats carry NaN and Infinity as such (JSON, which cannot, refuses out-of-range numbers).
    const special = await client.call("ModelInfer", {
      model_name: "mlp",
      inputs: [
        {
          name: "input",
          datatype: "FP32",
          shape: [1, 64],
          contents: { fp32_contents: [NaN, Infinity, ...x.slice(2, 64)] },
        },
      ],
    });
    expect(special.ok, special.details).toBe(true);
  });

  it("a real model (openWakeWord hello_deepa): raw and typed match REST", async () => {
    const x = floats(25 * 96);
    const want = await rest("wake", "onnx::Flatten_0", [1, 25, 96], x);
    const input = { name: "onnx::Flatten_0", datatype: "FP32", shape: [1, 25, 96] };
    const typed = await client.call("ModelInfer", {
      model_name: "wake",
      inputs: [{ ...input, contents: { fp32_contents: x } }],
    });
    expect(typed.value.outputs[0].contents.fp32_contents).toEqual(want.data);
    const raw = await client.call("ModelInfer", {
      model_name: "wake",
      model_version: "1",
      inputs: [input],
      raw_input_contents: [f32Bytes(x)],
    });
    expect(fromRaw(raw.value.raw_output_contents[0])).toEqual(want.data);
  });

  it("every datatype round-trips through typed contents (FP16 raw) and raw contents", async () => {
    const values: Record<string, { field: string; send: unknown[]; back: unknown[] }> = {
      BOOL: { field: "bool_contents", send: [true, false, false, true], back: [true, false, false, true] },
      UINT8: { field: "uint_contents", send: [0, 255, 7, 8], back: [0, 255, 7, 8] },
      UINT16: { field: "uint_contents", send: [0, 65535, 7, 8], back: [0, 65535, 7, 8] },
      UINT32: { field: "uint_contents", send: [0, 4294967295, 7, 8], back: [0, 4294967295, 7, 8] },
      UINT64: {
        field: "uint64_contents",
        send: ["0", "18446744073709551615", "9007199254740993", "8"],
        back: ["0", "18446744073709551615", "9007199254740993", "8"],
      },
      INT8: { field: "int_contents", send: [-128, 127, 0, 1], back: [-128, 127, 0, 1] },
      INT16: { field: "int_contents", send: [-32768, 32767, 0, 1], back: [-32768, 32767, 0, 1] },
      INT32: {
        field: "int_contents",
        send: [-2147483648, 2147483647, 0, 1],
        back: [-2147483648, 2147483647, 0, 1],
      },
      INT64: {
        field: "int64_contents",
        send: ["-9223372036854775808", "9223372036854775807", "-9007199254740993", "1"],
        back: ["-9223372036854775808", "9223372036854775807", "-9007199254740993", "1"],
      },
      FP32: {
        field: "fp32_contents",
        send: [1.5, -0, 3.4028234663852886e38, 1e-45],
        back: [1.5, -0, 3.4028234663852886e38, 1.401298464324817e-45],
      },
      FP64: { field: "fp64_contents", send: [0.1, -2.5e300, 5e-324, 1], back: [0.1, -2.5e300, 5e-324, 1] },
      BYTES: {
        field: "bytes_contents",
        send: ["a", "", "é✓", "x,y"].map((s) => Buffer.from(s)),
        back: ["a", "", "é✓", "x,y"].map((s) => Buffer.from(s)),
      },
    };
    // Typed: every datatype but FP16 in one request (echoTyped is the echo model without FP16).
    const typedTypes = ECHO_TYPES.filter(([dt]) => dt !== "FP16").map(([dt]) => dt);
    const r = await client.call("ModelInfer", {
      model_name: "echoTyped",
      inputs: typedTypes.map((dt) => ({
        name: `x_${dt}`,
        datatype: dt,
        shape: [2, 2],
        contents: { [values[dt].field]: values[dt].send },
      })),
    });
    expect(r.ok, r.details).toBe(true);
    expect(r.value.outputs.map((o: { name: string }) => o.name)).toEqual(typedTypes.map((dt) => `y_${dt}`));
    r.value.outputs.forEach((o: { datatype: string; contents: Record<string, unknown> }, i: number) => {
      const dt = typedTypes[i];
      expect(o.datatype).toBe(dt);
      expect(o.contents[values[dt].field], dt).toEqual(values[dt].back);
    });
    // Raw: the same values (and FP16) as little-endian bytes, through the full echo model.
    const raws: Record<string, Buffer> = {
      BOOL: Buffer.from([1, 0, 0, 1]),
      UINT8: Buffer.from([0, 255, 7, 8]),
      UINT16: Buffer.from(new Uint16Array([0, 65535, 7, 8]).buffer),
      UINT32: Buffer.from(new Uint32Array([0, 4294967295, 7, 8]).buffer),
      UINT64: Buffer.from(new BigUint64Array([0n, 2n ** 64n - 1n, 2n ** 53n + 1n, 8n]).buffer),
      INT8: Buffer.from(new Int8Array([-128, 127, 0, 1]).buffer),
      INT16: Buffer.from(new Int16Array([-32768, 32767, 0, 1]).buffer),
      INT32: Buffer.from(new Int32Array([-2147483648, 2147483647, 0, 1]).buffer),
      INT64: Buffer.from(new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, -(2n ** 53n) - 1n, 1n]).buffer),
      FP16: Buffer.from(new Uint16Array([0x3c00, 0x8000, 0x7bff, 0x0001]).buffer),
      FP32: Buffer.from(new Float32Array([1.5, -0, 3.4028234663852886e38, 1e-45]).buffer),
      FP64: Buffer.from(new Float64Array([0.1, -2.5e300, 5e-324, 1]).buffer),
      BYTES: Buffer.concat(
        ["a", "", "é✓", "x,y"].flatMap((t) => {
          const b = Buffer.from(t);
          const len = Buffer.alloc(4);
          len.writeUInt32LE(b.length);
          return [len, b];
        }),
      ),
    };
    const all = ECHO_TYPES.map(([dt]) => dt);
    const rr = await client.call("ModelInfer", {
      model_name: "echo",
      inputs: all.map((dt) => ({ name: `x_${dt}`, datatype: dt, shape: [2, 2] })),
      raw_input_contents: all.map((dt) => raws[dt]),
    });
    expect(rr.ok, rr.details).toBe(true);
    all.forEach((dt, i) => {
      expect(rr.value.outputs[i].name).toBe(`y_${dt}`);
      expect(Buffer.from(rr.value.raw_output_contents[i]), dt).toEqual(raws[dt]);
    });
    const typedHalf = await client.call("ModelInfer", {
      model_name: "echo",
      inputs: [
        { name: "x_FP16", datatype: "FP16", shape: [2, 2], contents: { fp32_contents: [1, 2, 3, 4] } },
      ],
    });
    expect(typedHalf.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(typedHalf.details).toMatch(/FP16 has no typed contents field; send it in raw_input_contents/);
  });

  it("gRPC and REST requests share the batcher; each gets exactly its rows", async () => {
    const xs = Array.from({ length: 48 }, () => floats(64));
    const restAlone = await Promise.all(xs.map((x) => rest("mlp", "input", [1, 64], x)));
    const mixed = await Promise.all(
      xs.map((x, i) =>
        i % 2
          ? rest("mlp", "input", [1, 64], x).then((o) => o.data)
          : client
              .call("ModelInfer", {
                model_name: "mlp",
                inputs: [{ name: "input", datatype: "FP32", shape: [1, 64], contents: { fp32_contents: x } }],
              })
              .then((r) => r.value.outputs[0].contents.fp32_contents as number[]),
      ),
    );
    mixed.forEach((d, i) => expect(d).toEqual(restAlone[i].data));
    const metrics = (await request(`${srv.url}/metrics`)).text;
    expect(metrics).toMatch(/mlpack_requests_total\{route="infer",model="mlp",version="1",code="200"\} \d+/);
  });
});

describe("gRPC hostile input: INVALID_ARGUMENT, and the server keeps serving", () => {
  const input = { name: "input", datatype: "FP32", shape: [1, 64] };
  const cases: [string, object, RegExp, grpc.status?][] = [
    [
      "raw contents of the wrong size",
      { model_name: "mlp", inputs: [input], raw_input_contents: [Buffer.alloc(255)] },
      /binary_data_size is 255 bytes but 64 FP32 values take 256/,
    ],
    [
      "unknown datatype",
      { model_name: "mlp", inputs: [{ ...input, datatype: "FLOAT128", contents: { fp32_contents: [1] } }] },
      /datatype "FLOAT128" is not one of BOOL/,
    ],
    [
      "huge shape",
      {
        model_name: "mlp",
        inputs: [{ ...input, shape: ["4000000000", "4000000000", "4000000000"] }],
        raw_input_contents: [Buffer.alloc(16)],
      },
      /binary_data_size is 16 bytes but .* FP32 values take/,
    ],
    [
      "huge shape, typed",
      {
        model_name: "mlp",
        inputs: [{ ...input, shape: ["9223372036854775807"], contents: { fp32_contents: [1] } }],
      },
      /shape must hold non-negative integers, not "9223372036854775807"/,
    ],
    [
      "negative dim",
      { model_name: "mlp", inputs: [{ ...input, shape: [-1, 64], contents: { fp32_contents: [1] } }] },
      /shape must hold non-negative integers, not "-1" \(dim 0\)/,
    ],
    [
      "too few typed values",
      { model_name: "mlp", inputs: [{ ...input, contents: { fp32_contents: [1, 2, 3] } }] },
      /shape \[1,64\] needs 64 values but contents.fp32_contents has 3/,
    ],
    [
      "values in the wrong contents field",
      { model_name: "mlp", inputs: [{ ...input, contents: { int_contents: new Array(64).fill(1) } }] },
      /FP32 values go in contents.fp32_contents, not contents.int_contents/,
    ],
    [
      "raw and typed mixed",
      {
        model_name: "mlp",
        inputs: [{ ...input, contents: { fp32_contents: [1] } }],
        raw_input_contents: [Buffer.alloc(256)],
      },
      /has contents.fp32_contents and the request has raw_input_contents/,
    ],
    [
      "raw count differs from inputs",
      { model_name: "mlp", inputs: [input], raw_input_contents: [Buffer.alloc(256), Buffer.alloc(4)] },
      /raw_input_contents has 2 entries for 1 inputs/,
    ],
    ["no inputs", { model_name: "mlp" }, /at least one input tensor/],
    [
      "wrong input name",
      { model_name: "mlp", inputs: [{ ...input, name: "x" }], raw_input_contents: [Buffer.alloc(256)] },
      /model "mlp" has no input "x"/,
    ],
    [
      "wrong shape for the model",
      { model_name: "mlp", inputs: [{ ...input, shape: [1, 63] }], raw_input_contents: [Buffer.alloc(252)] },
      /shape \[1,63\] does not match the model's/,
    ],
    [
      "INT8 value out of range",
      {
        model_name: "echo",
        inputs: [{ name: "x_INT8", datatype: "INT8", shape: [1, 2], contents: { int_contents: [1, 300] } }],
      },
      /data\[1\] is 300, expected an integer in \[-128, 127\]/,
    ],
    [
      "an index the model cannot take",
      {
        model_name: "gather",
        inputs: [
          { name: "idx", datatype: "INT64", shape: [2], contents: { int64_contents: ["1", "777777"] } },
        ],
      },
      /cannot compute this request's input values: .*777777/,
    ],
    ["unknown model", { model_name: "nope", inputs: [input] }, /unknown model "nope"/, grpc.status.NOT_FOUND],
    [
      "unknown version",
      { model_name: "mlp", model_version: "3", inputs: [input] },
      /model "mlp" has no version "3"/,
      grpc.status.NOT_FOUND,
    ],
  ];
  for (const [what, req, message, code] of cases)
    it(what, async () => {
      const r = await client.call("ModelInfer", req);
      expect(r.ok).toBe(false);
      expect(r.code).toBe(code ?? grpc.status.INVALID_ARGUMENT);
      expect(r.details).toMatch(message);
      const x = floats(64);
      const good = await client.call("ModelInfer", {
        model_name: "mlp",
        inputs: [input],
        raw_input_contents: [f32Bytes(x)],
      });
      expect(good.ok, good.details).toBe(true);
    });

  it("a message over --max-body is RESOURCE_EXHAUSTED, not a crash", async () => {
    const small = await startServer({
      models: [{ name: "mlp", version: "1", path: path.join(REPO, "examples/mlp/model.onnx") }],
      grpcPort: 0,
      maxBody: 1024,
    });
    const c = oipGrpcClient(`127.0.0.1:${small.grpc!.port}`);
    try {
      const r = await c.call("ModelInfer", {
        model_name: "mlp",
        inputs: [{ ...input, shape: [8, 64] }],
        raw_input_contents: [Buffer.alloc(8 * 256)],
      });
      expect(r.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect((await c.call("ServerLive", {})).value).toEqual({ live: true });
    } finally {
      c.close();
      await small.close();
    }
  });
});

describe("gRPC malformed messages", () => {
  it("bytes that are not a protobuf message are INVALID_ARGUMENT (grpc-js says INTERNAL)", async () => {
    const raw = new grpc.Client(`127.0.0.1:${srv.grpc!.port}`, grpc.credentials.createInsecure());
    const send = (method: string, bytes: number[]) =>
      new Promise<grpc.ServiceError | null>((resolve) =>
        raw.makeUnaryRequest(
          `/inference.GRPCInferenceService/${method}`,
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.from(bytes),
          (e) => resolve(e),
        ),
      );
    try {
      for (const [method, bytes] of [
        ["ModelInfer", [0xff, 0xff, 0xff, 0xff, 0x0f]],
        ["ModelInfer", [0x0a, 0x80]],
        ["ServerLive", [0xff]],
      ] as const) {
        const e = await send(method, [...bytes]);
        expect(e?.code, method).toBe(grpc.status.INVALID_ARGUMENT);
        expect(e?.details).toMatch(new RegExp(`the ${method} request is not a valid protobuf message`));
      }
      expect((await client.call("ServerLive", {})).value).toEqual({ live: true });
    } finally {
      raw.close();
    }
  });
});

describe("gRPC shutdown", () => {
  it("close() answers the call in flight, then the gRPC port stops taking calls", async () => {
    const s = await startServer({
      models: [{ name: "wake", version: "1", path: WAKE }],
      grpcPort: 0,
      shutdownTimeoutMs: 5000,
    });
    const c = oipGrpcClient(`127.0.0.1:${s.grpc!.port}`);
    try {
      const x = floats(25 * 96);
      expect((await c.call("ServerLive", {})).ok).toBe(true); // connected
      let settled = false;
      const inflight = c
        .call("ModelInfer", {
          model_name: "wake",
          inputs: [{ name: "onnx::Flatten_0", datatype: "FP32", shape: [1, 25, 96] }],
          raw_input_contents: [f32Bytes(x)],
        })
        .finally(() => (settled = true));
      // Close while the call is in the server (a quiet machine may answer it before the first poll).
      while (s.service.inflight === 0 && !settled) await new Promise((r) => setTimeout(r, 0));
      const t0 = performance.now();
      const result = await s.close();
      expect(performance.now() - t0).toBeLessThan(6000);
      expect(result.clean).toBe(true);
      const answered = await inflight;
      expect(answered.ok, answered.details).toBe(true);
      const after = await c.call("ServerLive", {}, 2000);
      expect(after.ok).toBe(false);
      expect([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED]).toContain(after.code);
    } finally {
      c.close();
    }
  });
});

describe("gRPC in the built CLI", () => {
  it("--grpc-port serves beside HTTP; SIGTERM closes both and exits 0", async () => {
    if (!fs.existsSync(path.join(REPO, "dist/serve/grpc/grpc_predict_v2.proto")))
      throw new Error("run `npm run build` before the CLI tests");
    const s = await startCli([
      `wake=${WAKE}`,
      "--port",
      "0",
      "--grpc-port",
      "0",
      "--shutdown-timeout-ms",
      "3000",
    ]);
    let grpcPort = 0;
    for (let i = 0; i < 200 && !grpcPort; i++) {
      const m = /gRPC \(OIP v2\) listening on 127\.0\.0\.1:(\d+)/.exec(s.stdout());
      if (m) grpcPort = Number(m[1]);
      else await new Promise((r) => setTimeout(r, 25));
    }
    expect(grpcPort, s.stdout()).toBeGreaterThan(0);
    const c = oipGrpcClient(`127.0.0.1:${grpcPort}`);
    try {
      const x = floats(25 * 96);
      const req = {
        model_name: "wake",
        inputs: [{ name: "onnx::Flatten_0", datatype: "FP32", shape: [1, 25, 96] }],
        raw_input_contents: [f32Bytes(x)],
      };
      const r = await c.call("ModelInfer", req);
      expect(r.ok, r.details).toBe(true);
      // Log lines reach stdout within 20 ms (written in groups).
      for (let i = 0; i < 50 && !/ModelInfer 200/.test(s.stdout()); i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(s.stdout()).toMatch(/GRPC \/inference\.GRPCInferenceService\/ModelInfer 200/);
      const t0 = performance.now();
      s.child.kill("SIGTERM");
      expect(await s.exited).toBe(0);
      expect(performance.now() - t0).toBeLessThan(4000);
      expect((await c.call("ServerLive", {}, 2000)).ok).toBe(false);
    } finally {
      c.close();
      s.child.kill("SIGKILL");
    }
  });
});
