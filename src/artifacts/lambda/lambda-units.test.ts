import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MAX_RESULT_BYTES, parseEvent, toDirectResult, toHttpResult } from "./runtime/events.js";
import { intraOpThreadsForMemory, resolveLambdaSettings } from "./settings.js";
import { arm64StartupWarning } from "./ort-files.js";
import { collectCodeFiles, importsOf } from "./code-files.js";
import { partOf } from "./build.js";

describe("parseEvent", () => {
  it("reads a REST API (payload 1.0) event with multi-value query strings", () => {
    const p = parseEvent(
      {
        httpMethod: "post",
        path: "/predict",
        headers: { "Content-Type": "application/json" },
        multiValueQueryStringParameters: { model: ["m"] },
        queryStringParameters: { model: "m", version: "2" },
        body: Buffer.from('{"inputs":{}}').toString("base64"),
        isBase64Encoded: true,
      },
      "m",
    );
    expect(p.kind).toBe("http");
    if (p.kind !== "http") return;
    expect(p.request.method).toBe("POST");
    expect(p.request.query.getAll("model")).toEqual(["m"]);
    expect(p.request.query.get("version")).toBe("2");
    expect(p.request.headers["content-type"]).toBe("application/json");
    expect(p.request.body.toString()).toBe('{"inputs":{}}');
  });

  it("keeps $default paths and strips only a matching stage prefix", () => {
    const ev = (rawPath: string, stage: string) => ({
      version: "2.0",
      rawPath,
      requestContext: { stage, http: { method: "GET" } },
    });
    const path = (e: unknown) => {
      const p = parseEvent(e, "m");
      return p.kind === "http" ? p.request.path : p.kind;
    };
    expect(path(ev("/prod/v2", "prod"))).toBe("/v2");
    expect(path(ev("/prod", "prod"))).toBe("/");
    expect(path(ev("/production/v2", "prod"))).toBe("/production/v2");
    expect(path(ev("/prod/v2", "$default"))).toBe("/prod/v2");
  });

  it("routes direct invocations by the shape of inputs", () => {
    const oip = parseEvent({ inputs: [] }, "my model");
    const simple = parseEvent({ inputs: {} }, "m");
    expect(oip.kind === "direct" && oip.request.path).toBe("/v2/models/my%20model/infer");
    expect(simple.kind === "direct" && simple.request.path).toBe("/predict");
    expect(parseEvent(undefined, "m")).toMatchObject({ kind: "invalid", http: false });
  });
});

describe("results", () => {
  it("answers 413 instead of exceeding Lambda's 6 MB response limit", () => {
    const big = Buffer.alloc(MAX_RESULT_BYTES + 1, 0x31);
    const r = toHttpResult({ status: 200, headers: { "content-type": "application/json" }, body: big });
    expect(r.statusCode).toBe(413);
    expect(JSON.parse(r.body).error).toMatch(/6 MB limit/);
    const d = toDirectResult({ status: 200, headers: { "content-type": "application/json" }, body: big });
    expect(d).toMatchObject({ statusCode: 413 });
  });
  it("base64-encodes non-JSON bodies", () => {
    const r = toHttpResult({
      status: 200,
      headers: { "content-type": "application/octet-stream" },
      body: Buffer.from([0, 255]),
    });
    expect(r).toMatchObject({ isBase64Encoded: true, body: "AP8=" });
  });
});

describe("settings", () => {
  it("derives intra-op threads from memory (1,769 MB per vCPU, at most 6)", () => {
    expect([128, 1024, 1769, 2654, 3008, 5307, 10240].map(intraOpThreadsForMemory)).toEqual([
      1, 1, 1, 2, 2, 3, 6,
    ]);
    expect(resolveLambdaSettings({ memory: 10240 }, { intraOpThreads: 3 }).intraOpThreads).toBe(3);
    expect(resolveLambdaSettings()).toMatchObject({ arch: "x86_64", memory: 1024, runtime: "nodejs20.x" });
    expect(() => resolveLambdaSettings({ runtime: "python3.12" as "nodejs20.x" })).toThrow(/not supported/);
  });
});

describe("arm64StartupWarning", () => {
  it("warns for the versions with the cpuinfo abort and not for fixed ones", () => {
    for (const v of ["1.10.0", "1.12.0", "1.17.1", "1.19.2", "1.22.0", "1.26.0"])
      expect(arm64StartupWarning(v), v).toMatch(/aborts at start-up on Lambda arm64/);
    for (const v of ["1.11.0", "1.11.1", "1.27.0", "1.30.0", "2.0.0"])
      expect(arm64StartupWarning(v), v).toBeUndefined();
  });
});

describe("code closure", () => {
  it("finds static, multi-line, bare and dynamic imports", () => {
    const src = `import {\n  a,\n  b,\n} from "./a.js";\nexport { c } from './c.js';\nimport "./side.js";\nconst m = await import("./lazy.js");\nimport x from "node:fs";`;
    expect(importsOf(src).sort()).toEqual(["./a.js", "./c.js", "./lazy.js", "./side.js", "node:fs"].sort());
  });
  it("refuses a shipped module that imports a package the zip does not carry", () => {
    const dist = fs.mkdtempSync(path.join(os.tmpdir(), "mlpack-dist-"));
    try {
      const entry = path.join(dist, "artifacts/lambda/runtime/handler.js");
      fs.mkdirSync(path.dirname(entry), { recursive: true });
      fs.writeFileSync(entry, `import { x } from "../../../dep.js";\nimport fs from "fs";`);
      fs.writeFileSync(path.join(dist, "dep.js"), `import YAML from "yaml";`);
      expect(() => collectCodeFiles(dist)).toThrow(/imports "yaml", which the Lambda zip does not ship/);
      fs.writeFileSync(path.join(dist, "dep.js"), `export const x = 1;`);
      expect(collectCodeFiles(dist).map((f) => f.to)).toEqual([
        "mlpack/artifacts/lambda/runtime/handler.js",
        "mlpack/dep.js",
      ]);
    } finally {
      fs.rmSync(dist, { recursive: true, force: true });
    }
  });
  it("assigns zip paths to breakdown parts", () => {
    expect(
      ["model/m.onnx", "node_modules/onnxruntime-node/x", "bin/node", "index.mjs", "mlpack/errors.js"].map(
        partOf,
      ),
    ).toEqual(["model", "runtime", "node", "code", "code"]);
  });
});
