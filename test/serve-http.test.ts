/** `mlpack serve` over real HTTP on 127.0.0.1: every route, every error status, binary data, cache. */
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "./helpers/tmp.js";
import {
  makeLoopModel,
  request,
  startServer,
  writeFixtureModels,
  type FixtureModels,
} from "./serve-helpers.js";
import type { ServeHandle } from "../src/serve/serve.js";

const dir = tempDir("mlpack-serve-http-");
let models: FixtureModels;
let srv: ServeHandle;
let base: string;

async function runInProcess(file: string, rows: number[][]): Promise<number[]> {
  const s = await ort.InferenceSession.create(file, { intraOpNumThreads: 1 });
  const x = new ort.Tensor("float32", Float32Array.from(rows.flat()), [rows.length, rows[0].length]);
  const out = await s.run({ input: x });
  await s.release();
  return Array.from(out.output.data as Float32Array);
}

/** FP32 JSON values are the shortest text of each float32 (codec/f32-text.ts): compare as float32. */
const f32 = (xs: number[]) => xs.map(Math.fround);

const infer = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  request(`${base}${path}`, { body: typeof body === "string" ? body : JSON.stringify(body), headers });

const fp32 = (rows: number[][], name = "input") => ({
  name,
  datatype: "FP32",
  shape: [rows.length, rows[0].length],
  data: rows.flat(),
});

beforeAll(async () => {
  models = writeFixtureModels(dir);
  srv = await startServer({
    models: [
      { name: "mlp", version: "1", path: models.mlp },
      { name: "mlp", version: "2", path: models.mlp2 },
      { name: "echo", version: "1", path: models.echo },
      { name: "fixed", version: "1", path: models.fixed },
    ],
    cacheSize: 8,
    maxBody: 64 * 1024,
    maxBatchSize: 8,
    maxQueueDelayMs: 1,
  });
  base = srv.url;
});

afterAll(async () => {
  await srv?.close();
});

describe("health and metadata", () => {
  it("binds 127.0.0.1 on a free port", () => {
    expect(srv.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(srv.port).toBeGreaterThan(0);
  });

  it("GET /v2/health/live and /v2/health/ready answer 200", async () => {
    expect((await request(`${base}/v2/health/live`)).status).toBe(200);
    const r = await request(`${base}/v2/health/ready`);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ ready: true });
  });

  it("GET /v2 is the server metadata", async () => {
    const r = await request(`${base}/v2`);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ name: "mlpack", extensions: ["binary_tensor_data"] });
    expect(r.json.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("GET /v2/models/{name}[/versions/{v}] is the model metadata with -1 for symbolic dims", async () => {
    const r = await request(`${base}/v2/models/mlp`);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      name: "mlp",
      versions: ["1", "2"],
      platform: "onnxruntime_onnx",
      inputs: [{ name: "input", datatype: "FP32", shape: [-1, 4] }],
      outputs: [{ name: "output", datatype: "FP32", shape: [-1, 3] }],
    });
    expect((await request(`${base}/v2/models/mlp/versions/1`)).json.name).toBe("mlp");
    expect((await request(`${base}/v2/models/fixed`)).json.inputs[0].shape).toEqual([2, 3]);
  });

  it("GET /v2/models/{name}[/versions/{v}]/ready", async () => {
    expect((await request(`${base}/v2/models/mlp/ready`)).status).toBe(200);
    expect((await request(`${base}/v2/models/mlp/versions/2/ready`)).json).toEqual({
      name: "mlp",
      version: "2",
      ready: true,
    });
    expect((await request(`${base}/v2/models/nope/ready`)).status).toBe(404);
    expect((await request(`${base}/v2/models/mlp/versions/9/ready`)).status).toBe(404);
  });

  it("POST /v2/repository/index lists the models", async () => {
    const r = await request(`${base}/v2/repository/index`, { method: "POST" });
    expect(r.json).toContainEqual({ name: "echo", version: "1", state: "READY" });
  });
});

describe("POST /v2/models/{name}/infer", () => {
  const rows = [
    [0.5, -1, 2, 0.25],
    [3, 0, -0.5, 1],
  ];

  it("answers the standard JSON response with the id echoed and onnxruntime's exact values", async () => {
    const r = await infer("/v2/models/mlp/versions/1/infer", { id: "req-1", inputs: [fp32(rows)] });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/json");
    expect(r.json).toMatchObject({ model_name: "mlp", model_version: "1", id: "req-1" });
    expect(r.json.outputs).toHaveLength(1);
    expect(r.json.outputs[0]).toMatchObject({ name: "output", datatype: "FP32", shape: [2, 3] });
    expect(f32(r.json.outputs[0].data)).toEqual(await runInProcess(models.mlp, rows));
  });

  it("accepts nested data as well as flat", async () => {
    const nested = { inputs: [{ ...fp32(rows), data: rows }] };
    const r = await infer("/v2/models/mlp/versions/1/infer", nested);
    expect(f32(r.json.outputs[0].data)).toEqual(await runInProcess(models.mlp, rows));
  });

  it("serves the highest version when none is named, and the named one otherwise", async () => {
    const r2 = await infer("/v2/models/mlp/infer", { inputs: [fp32(rows)] });
    expect(r2.json.model_version).toBe("2");
    expect(f32(r2.json.outputs[0].data)).toEqual(await runInProcess(models.mlp2, rows));
  });

  it("round-trips every OIP datatype through JSON, int64 beyond 2^53 exactly", async () => {
    const values: Record<string, unknown[]> = {
      BOOL: [true, false, false, true],
      UINT8: [0, 255, 7, 8],
      UINT16: [0, 65535, 1, 2],
      UINT32: [0, 4294967295, 1, 2],
      UINT64: ["18446744073709551615", 0, 1, 2],
      INT8: [-128, 127, 0, 1],
      INT16: [-32768, 32767, 0, 1],
      INT32: [-2147483648, 2147483647, 0, 1],
      INT64: ["9007199254740993", "-9223372036854775808", 0, 1],
      FP16: [1.5, -2, 65504, 0.0999755859375],
      FP32: [0.5, -1.25, 3, 1e-7],
      FP64: [0.1, -1e300, 3, 4],
      BYTES: ["a,b", 'q"uote', "ünïcödé", ""],
    };
    const inputs = Object.entries(values).map(([dt, data]) => ({
      name: `x_${dt}`,
      datatype: dt,
      shape: [2, 2],
      data,
    }));
    const r = await infer("/v2/models/echo/infer", { inputs });
    expect(r.status).toBe(200);
    const byName = Object.fromEntries(r.json.outputs.map((o: { name: string }) => [o.name, o]));
    // JSON.parse turns big integers into doubles; compare them in the raw text instead.
    expect(r.text).toContain('"data":[18446744073709551615,0,1,2]');
    expect(r.text).toContain('"data":[9007199254740993,-9223372036854775808,0,1]');
    for (const [dt, data] of Object.entries(values)) {
      if (dt === "UINT64" || dt === "INT64") continue;
      expect(byName[`y_${dt}`]).toMatchObject({ datatype: dt, shape: [2, 2] });
      expect(dt === "FP32" ? f32(byName[`y_${dt}`].data) : byName[`y_${dt}`].data).toEqual(
        dt === "FP32" ? data.map((v) => Math.fround(v as number)) : data,
      );
    }
  });

  it("returns only the outputs asked for", async () => {
    const inputs = [
      "BOOL",
      "UINT8",
      "UINT16",
      "UINT32",
      "UINT64",
      "INT8",
      "INT16",
      "INT32",
      "INT64",
      "FP16",
      "FP32",
      "FP64",
    ]
      .map((dt) => ({
        name: `x_${dt}`,
        datatype: dt,
        shape: [1, 2],
        data: dt === "BOOL" ? [true, false] : [1, 2],
      }))
      .concat([{ name: "x_BYTES", datatype: "BYTES", shape: [1, 2], data: ["p", "q"] as never }]);
    const r = await infer("/v2/models/echo/infer", {
      inputs,
      outputs: [{ name: "y_INT32" }, { name: "y_BYTES" }],
    });
    expect(r.json.outputs.map((o: { name: string }) => o.name)).toEqual(["y_INT32", "y_BYTES"]);
    expect(r.json.outputs[1].data).toEqual(["p", "q"]);
  });

  it("supports the binary tensor data extension for inputs and outputs", async () => {
    const x = Float32Array.from(rows.flat());
    const header = Buffer.from(
      JSON.stringify({
        inputs: [
          { name: "input", datatype: "FP32", shape: [2, 4], parameters: { binary_data_size: x.byteLength } },
        ],
        outputs: [{ name: "output", parameters: { binary_data: true } }],
      }),
    );
    const body = Buffer.concat([header, Buffer.from(x.buffer)]);
    const res = await fetch(`${base}/v2/models/mlp/versions/1/infer`, {
      method: "POST",
      body,
      headers: {
        "inference-header-content-length": String(header.length),
        "content-type": "application/octet-stream",
      },
    });
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    const jsonLen = Number(res.headers.get("inference-header-content-length"));
    const meta = JSON.parse(bytes.subarray(0, jsonLen).toString());
    expect(meta.outputs[0]).toMatchObject({
      name: "output",
      shape: [2, 3],
      parameters: { binary_data_size: 24 },
    });
    const out = new Float32Array(
      bytes.buffer.slice(bytes.byteOffset + jsonLen, bytes.byteOffset + bytes.length),
    );
    expect(Array.from(out)).toEqual(await runInProcess(models.mlp, rows));
  });

  it("serves repeats from the cache and counts hits and misses", async () => {
    const body = { inputs: [fp32([[9, 8, 7, 6]])] };
    const a = await infer("/v2/models/mlp/versions/1/infer", body);
    const b = await infer("/v2/models/mlp/versions/1/infer", body);
    expect(b.json.outputs).toEqual(a.json.outputs);
    const metrics = (await request(`${base}/metrics`)).text;
    expect(metrics).toMatch(/mlpack_cache_hits_total\{model="mlp",version="1"\} [1-9]/);
    expect(metrics).toMatch(/mlpack_cache_misses_total\{model="mlp",version="1"\} [1-9]/);
    expect(metrics).toMatch(/mlpack_cache_entries [1-8]\n/);
  });
});

describe("POST /predict", () => {
  it("takes {inputs: {name: nested}} and answers {outputs: {name: nested}}", async () => {
    const rows = [
      [1, 2, 3, 4],
      [-1, 0, 1, 2],
    ];
    const r = await infer("/predict?model=mlp&version=1", { inputs: { input: rows } });
    expect(r.status).toBe(200);
    const want = await runInProcess(models.mlp, rows);
    expect(r.json.outputs.output.map(f32)).toEqual([want.slice(0, 3), want.slice(3)]);
    const viaBody = await infer("/predict", { model: "mlp", version: "1", inputs: { input: rows } });
    expect(viaBody.json).toEqual(r.json);
  });

  it("asks which model when several are served, and names bad inputs", async () => {
    const r = await infer("/predict", { inputs: { input: [[1, 2, 3, 4]] } });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatch(/several models are served .*"mlp".*\?model=NAME/);
    const bad = await infer("/predict?model=mlp", { inputs: { inptu: [[1, 2, 3, 4]] } });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/input "inptu": the model has no such input \(it takes "input"\)/);
    const ragged = await infer("/predict?model=mlp", { inputs: { input: [[1, 2, 3, 4], [1]] } });
    expect(ragged.status).toBe(400);
    expect(ragged.json.error).toMatch(/ragged/);
  });
});

describe("errors are JSON {error} with the right status", () => {
  const expectError = (r: { status: number; json: { error?: unknown } }, status: number, re: RegExp) => {
    expect(r.status).toBe(status);
    expect(Object.keys(r.json)).toEqual(["error"]);
    expect(r.json.error).toMatch(re);
  };

  it("400 for malformed JSON", async () => {
    expectError(await infer("/v2/models/mlp/infer", "{nope"), 400, /malformed JSON/);
    expectError(await infer("/predict?model=mlp", "[1,2"), 400, /malformed JSON/);
  });

  it("400 for a wrong shape, naming the input and the expected shape", async () => {
    const r = await infer("/v2/models/mlp/infer", { inputs: [fp32([[1, 2, 3]])] });
    expectError(
      r,
      400,
      /input "input": shape \[1,3\] does not match the model's \[batch,4\] \(expected \[-1,4\]/,
    );
    const f = await infer("/v2/models/fixed/infer", {
      inputs: [{ name: "x", datatype: "FP32", shape: [3, 2], data: [1, 2, 3, 4, 5, 6] }],
    });
    expectError(f, 400, /input "x": shape \[3,2\] does not match the model's \[2,3\]/);
    const count = await infer("/v2/models/mlp/infer", {
      inputs: [{ ...fp32([[1, 2, 3, 4]]), shape: [2, 4] }],
    });
    expectError(count, 400, /input "input": shape \[2,4\] needs 8 values but "data" has 4/);
    // Empty tensors never reach onnxruntime (it aborts the process on some models; test/serve-cli).
    const empty = await infer("/v2/models/mlp/infer", {
      inputs: [{ ...fp32([[1, 2, 3, 4]]), shape: [0, 4], data: [] }],
    });
    expectError(empty, 400, /input "input": shape \[0,4\] has no elements; send at least one row/);
  });

  it("400 for a wrong datatype or a value the datatype cannot hold", async () => {
    const r = await infer("/v2/models/mlp/infer", {
      inputs: [{ ...fp32([[1, 2, 3, 4]]), datatype: "FP64" }],
    });
    expectError(r, 400, /input "input": datatype is FP64, the model expects FP32/);
    const s = await infer("/v2/models/mlp/infer", {
      inputs: [{ ...fp32([[1, 2, 3, 4]]), data: [1, "2", 3, 4] }],
    });
    expectError(s, 400, /input "input": data\[1\] is "2", expected a number for FP32/);
    const u = await infer("/v2/models/mlp/infer", {
      inputs: [{ ...fp32([[1, 2, 3, 4]]), datatype: "FLOAT" }],
    });
    expectError(u, 400, /datatype "FLOAT" is not one of BOOL, .*FP32/);
  });

  it("400 for missing or unknown inputs and unknown outputs", async () => {
    expectError(await infer("/v2/models/mlp/infer", { inputs: [] }), 400, /"inputs" array/);
    expectError(
      await infer("/v2/models/mlp/infer", { inputs: [fp32([[1, 2, 3, 4]], "x")] }),
      400,
      /model "mlp" has no input "x" \(it takes "input"\)/,
    );
    expectError(
      await infer("/v2/models/mlp/infer", { inputs: [fp32([[1, 2, 3, 4]])], outputs: [{ name: "logits" }] }),
      400,
      /has no output "logits" \(it has "output"\)/,
    );
  });

  it("404 for an unknown model, version or route; 405 for a wrong method", async () => {
    expectError(
      await infer("/v2/models/resnet/infer", { inputs: [fp32([[1]])] }),
      404,
      /unknown model "resnet"/,
    );
    expectError(await request(`${base}/v2/models/mlp/versions/7`), 404, /no version "7" \(versions: 1, 2\)/);
    expectError(await request(`${base}/v1/models`), 404, /no route for GET \/v1\/models/);
    const m = await request(`${base}/v2/models/mlp/infer`);
    expectError(m, 405, /GET is not allowed/);
    expect(m.headers.get("allow")).toBe("POST");
  });

  it("413 for a body over --max-body, declared or streamed", async () => {
    const big = JSON.stringify({ inputs: [fp32([new Array(20_000).fill(0.5)])] });
    expectError(await infer("/v2/models/mlp/infer", big), 413, /over the 65536-byte limit \(--max-body\)/);
    // Chunked (no Content-Length): the limit is enforced while reading.
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(big));
        c.close();
      },
    });
    const res = await fetch(`${base}/v2/models/mlp/infer`, {
      method: "POST",
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
  });

  it("400 (not 500) for deeply nested or oversized structures in data, shape, datatype and /predict", async () => {
    // 64 KiB of body (--max-body here) holds 30,000 levels: far past any recursion-safe depth.
    const deep = "[".repeat(30_000) + "]".repeat(30_000);
    const tensor = (field: string, value: string) =>
      `{"inputs":[{"name":"input","datatype":"FP32","shape":[1,4],"data":[1,2,3,4],"${field}":${value}}]}`;
    for (const [what, body] of [
      ["data", tensor("data", deep)],
      ["shape", tensor("shape", deep)],
      ["datatype", tensor("datatype", deep)],
      ["datatype (long string)", tensor("datatype", JSON.stringify("x".repeat(60_000)))],
      ["/predict", `{"inputs":{"input":${deep}}}`],
    ] as const) {
      const r = await infer(what === "/predict" ? "/predict?model=mlp" : "/v2/models/mlp/infer", body);
      expect(r.status, `${what}: ${r.text.slice(0, 200)}`).toBe(400);
      expect(r.text.length, what).toBeLessThan(400);
    }
    const nested = await infer("/v2/models/mlp/infer", tensor("datatype", deep));
    expect(nested.json.error).toMatch(/nested deeper than 40 levels/);
    const obj = await infer("/predict?model=mlp", { inputs: { input: [[{ a: { b: 1 } }, 2, 3, 4]] } });
    expect(obj.status).toBe(400);
    expect(obj.json.error).toMatch(/data\[0\] is an object/);
  });

  it("400 for a malformed HTTP request line", async () => {
    const reply = await new Promise<string>((resolve) => {
      const s = net.connect(srv.port, "127.0.0.1", () => s.write("NOT HTTP\r\n\r\n"));
      let got = "";
      s.on("data", (d) => (got += d));
      s.on("close", () => resolve(got));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    expect(reply).toMatch(/"error":"malformed HTTP request/);
  });

  it("the metrics count every status", async () => {
    const text = (await request(`${base}/metrics`)).text;
    for (const code of ["200", "400", "404", "405", "413"]) expect(text).toContain(`code="${code}"`);
  });
});

describe("GET /metrics", () => {
  it("is Prometheus text with request counts, latency, batch size, cache and in-flight metrics", async () => {
    const r = await request(`${base}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const name of [
      "mlpack_requests_total",
      "mlpack_inflight_requests",
      "mlpack_request_duration_seconds",
      "mlpack_queue_duration_seconds",
      "mlpack_compute_duration_seconds",
      "mlpack_batch_size",
      "mlpack_queue_depth",
      "mlpack_cache_hits_total",
      "mlpack_cache_misses_total",
      "mlpack_cache_entries",
    ])
      expect(r.text).toContain(`# TYPE ${name} `);
    expect(r.text).toMatch(/mlpack_requests_total\{route="infer",model="mlp",version="1",code="200"\} \d+/);
    expect(r.text).toMatch(
      /mlpack_compute_duration_seconds_bucket\{model="mlp",version="1",le="\+Inf"\} \d+/,
    );
    expect(r.text).toMatch(/mlpack_batch_size_count\{model="mlp",version="1"\} \d+/);
  });
});

describe("back-pressure", () => {
  it("503 with Retry-After when a model's queue is full, and the queued requests still finish", async () => {
    // A Loop model whose first request runs for a few seconds: it holds the only worker while the
    // others arrive. Two of them fit in the queue (--max-queue 2), the other three get 503.
    const loop = path.join(dir, "loop.onnx");
    fs.writeFileSync(loop, makeLoopModel());
    const slow = await startServer({
      models: [{ name: "loop", version: "1", path: loop }],
      maxQueue: 2,
      maxBatchSize: 64,
      maxQueueDelayMs: 5000, // the queued two wait for the worker, not for a batch to fill
    });
    const body = (n: number) =>
      JSON.stringify({
        inputs: [
          { name: "x", datatype: "FP32", shape: [1, 1], data: [1] },
          { name: "n", datatype: "INT64", shape: [1], data: [n] },
        ],
      });
    try {
      const url = `${slow.url}/v2/models/loop/infer`;
      const first = request(url, { body: body(3_000_000) });
      await new Promise((r) => setTimeout(r, 500));
      const rest = await Promise.all(Array.from({ length: 5 }, () => request(url, { body: body(1) })));
      const replies = [await first, ...rest];
      const codes = replies.map((r) => r.status).sort();
      expect(codes).toEqual([200, 200, 200, 503, 503, 503]);
      const busy = replies.find((r) => r.status === 503)!;
      expect(busy.headers.get("retry-after")).toBe("1");
      expect(busy.json.error).toMatch(/model "loop" has 2 requests waiting \(--max-queue 2\); retry later/);
    } finally {
      await slow.close();
    }
  });
});

describe("slow clients and connection cap", () => {
  it("a body that dribbles in gets 408 after --body-timeout-ms; connections past --max-connections are closed", async () => {
    const srv2 = await startServer({
      models: [{ name: "mlp", version: "1", path: models.mlp }],
      headersTimeoutMs: 200,
      bodyTimeoutMs: 400,
      maxConnections: 2,
    });
    try {
      const { port } = srv2;
      const t0 = performance.now();
      const slow = net.connect(port, "127.0.0.1");
      let reply = "";
      slow.on("data", (d) => (reply += d.toString()));
      const closed = new Promise((r) => slow.on("close", r));
      slow.write("POST /v2/models/mlp/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{");
      const drip = setInterval(() => slow.write(" "), 50);
      await closed;
      clearInterval(drip);
      expect(reply).toMatch(/^HTTP\/1\.1 408/);
      expect(performance.now() - t0).toBeLessThan(3000);

      const open = [net.connect(port, "127.0.0.1"), net.connect(port, "127.0.0.1")];
      await Promise.all(open.map((s) => new Promise((r) => s.on("connect", r))));
      await new Promise((r) => setTimeout(r, 50));
      const third = net.connect(port, "127.0.0.1");
      const thirdClosed = await new Promise<boolean>((r) => {
        third.on("close", () => r(true));
        third.on("error", () => r(true));
        setTimeout(() => r(false), 2000);
      });
      expect(thirdClosed).toBe(true);
      third.destroy();
      // The two hold their slots sending nothing and never reading (so never closing): each gets 408
      // after the headers timeout, then is closed by the server, and the slots are free again.
      open.forEach((s) => s.pause());
      const t1 = performance.now();
      let live: number | string = "none";
      while (live !== 200 && performance.now() - t1 < 5000) {
        await new Promise((r) => setTimeout(r, 100));
        live = await fetch(`http://127.0.0.1:${port}/v2/health/live`, {
          signal: AbortSignal.timeout(1000),
        }).then(
          (r) => r.status,
          (e: Error) => e.message,
        );
      }
      expect(live).toBe(200);
      open.forEach((s) => s.destroy());
    } finally {
      await srv2.close();
    }
  });
});
