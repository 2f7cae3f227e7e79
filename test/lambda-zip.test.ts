/**
 * The Lambda zip itself: size for a 10 MB model, what onnxruntime-node keeps, Unix modes and fixed
 * times, byte-identical rebuilds, and the Lambda size limits.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { buildLambdaZip, formatBreakdown } from "../src/artifacts/lambda/build.js";
import { formatBytes as mb } from "../src/format-bytes.js";
import {
  extractEntry,
  readZipDirectory,
  readZipFileDirectory,
  type ZipEntryInfo,
} from "../src/artifacts/lambda/zip-read.js";
import { DIR_MODE, EXEC_MODE, FILE_MODE } from "../src/artifacts/lambda/zip-write.js";
import { UserError } from "../src/errors.js";
import { makeMlp } from "../src/onnx/fixtures.js";
import { encodeModelProto } from "../src/onnx/proto.js";
import { writeModel } from "../src/onnx/write.js";
import type { Logger } from "../src/log.js";
import { HAVE_UNZIP } from "./helpers/lambda.js";
import { tempDir } from "./helpers/tmp.js";
import { requireComponents } from "./helpers/components.js";

// Info-ZIP cross-checks the zip where installed (fails in CI when it is not).
requireComponents("lambda zip: unzip cross-check", ["unzip"]);

const dir = tempDir("mlpack-lambda-zip-");
const small = path.join(dir, "small.onnx");
fs.writeFileSync(small, encodeModelProto(makeMlp({ widths: [4, 8, 3], seed: 1 })));

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { info() {}, debug() {}, error() {}, warn: (m) => void warnings.push(m), warnings };
}

const names = (entries: ZipEntryInfo[]) => entries.map((e) => e.name);

describe("a 10 MB model", () => {
  it("zips to at most 40 MB with the breakdown reported", async () => {
    const model = path.join(dir, "ten.onnx");
    // 784x3200 float weights with seeded random values: 10 MB that deflate cannot shrink much.
    fs.writeFileSync(model, encodeModelProto(makeMlp({ widths: [784, 3200, 10], seed: 3 })));
    const modelBytes = fs.statSync(model).size;
    expect(modelBytes).toBeGreaterThan(10_000_000);
    const r = await buildLambdaZip({ model, output: path.join(dir, "ten.zip") });
    expect(r.zippedBytes).toBe(fs.statSync(r.zipPath).size);
    expect(r.zippedBytes).toBeLessThanOrEqual(40 * 1024 * 1024);
    expect(r.breakdown.model.bytes).toBe(modelBytes);
    expect(r.breakdown.model.zippedBytes).toBeGreaterThan(0.8 * modelBytes);
    expect(r.breakdown.runtime.bytes).toBeGreaterThan(20_000_000);
    expect(r.breakdown.code.bytes).toBeLessThan(500_000);
    expect(r.unzippedBytes).toBe(
      r.breakdown.model.bytes + r.breakdown.runtime.bytes + r.breakdown.code.bytes,
    );
    expect(r.warnings).toEqual([]);
    // The closing note of the issue: the size breakdown of the 10 MB case.
    console.log(
      `lambda zip for a ${mb(modelBytes)} model: ${mb(r.zippedBytes)} zipped, ${mb(r.unzippedBytes)} unzipped; ${formatBreakdown(r)}`,
    );
  });
});

describe("contents", () => {
  it("keeps onnxruntime-node's JavaScript and one Linux architecture's binding, nothing else", async () => {
    for (const arch of ["x86_64", "arm64"] as const) {
      const r = await buildLambdaZip({
        model: small,
        output: path.join(dir, `c-${arch}.zip`),
        lambda: { arch },
      });
      const files = names(readZipFileDirectory(r.zipPath)).filter((n) => !n.endsWith("/"));
      const natives = files.filter((n) => n.includes("/bin/"));
      const want = arch === "x86_64" ? "x64" : "arm64";
      expect(natives.length).toBeGreaterThanOrEqual(2);
      for (const n of natives)
        expect(n).toMatch(new RegExp(`^node_modules/onnxruntime-node/bin/napi-v\\d+/linux/${want}/`));
      expect(natives.some((n) => n.endsWith("onnxruntime_binding.node"))).toBe(true);
      expect(files.some((n) => /providers_(cuda|tensorrt|shared)/.test(n))).toBe(false);
      expect(files.some((n) => /\.(d\.ts|map|ts)$/.test(n))).toBe(false);
      const packages = new Set(
        files.filter((n) => n.startsWith("node_modules/")).map((n) => n.split("/")[1]),
      );
      expect([...packages].sort()).toEqual(["onnxruntime-common", "onnxruntime-node"]);
      expect(files).toContain("index.mjs");
      expect(files).toContain("model/small.onnx");
      expect(files).toContain("mlpack/serve/router.js");
      expect(files).toContain("mlpack/serve/protocol.js");
      // The serving code is reused, not the whole server: no worker pool, HTTP server or ONNX reader.
      for (const n of [
        "mlpack/serve/http-server.js",
        "mlpack/serve/worker-pool.js",
        "mlpack/onnx/read.js",
        "mlpack/cli/main.js",
      ])
        expect(files).not.toContain(n);
      expect(files).not.toContain("bootstrap");
      expect(r.handler).toBe("index.handler");
      // onnxruntime-node 1.30 carries the arm64 cpuinfo fix: no warning.
      expect(r.warnings).toEqual([]);
    }
  });

  it("renders the handler with the model's metadata and the memory's thread count", async () => {
    const r = await buildLambdaZip({
      model: small,
      name: "clf",
      version: "3",
      output: path.join(dir, "render.zip"),
      lambda: { memory: 3538 },
    });
    expect(r.settings.intraOpThreads).toBe(2);
    const buf = fs.readFileSync(r.zipPath);
    const entry = readZipDirectory(buf).find((e) => e.name === "index.mjs")!;
    const text = extractEntry(buf, entry).toString("utf8");
    expect(text).not.toMatch(/\{\{/);
    expect(text).toContain('intraOpThreadsFromEnv(process.env, Number("2"))');
    const info = JSON.parse(JSON.parse(/JSON\.parse\(("(?:[^"\\]|\\.)*")\)/.exec(text)![1]) as string) as {
      name: string;
      version: string;
      path: string;
    };
    expect(info).toMatchObject({ name: "clf", version: "3", path: "model/small.onnx" });
  });
});

describe("determinism and modes", () => {
  it("sorted entries, fixed times, 644 files and 755 dirs/executables, identical rebuilds", async () => {
    const build = (out: string) =>
      buildLambdaZip({
        model: small,
        output: out,
        lambda: { runtime: "provided.al2023" },
        logger: recordingLogger(),
      });
    const a = await build(path.join(dir, "a.zip"));
    const tz = process.env.TZ;
    process.env.TZ = "Pacific/Kiritimati"; // UTC+14: a time zone leak would change the DOS times.
    let b;
    try {
      b = await build(path.join(dir, "sub", "b.zip"));
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
    expect(b.sha256).toBe(a.sha256);
    expect(crypto.createHash("sha256").update(fs.readFileSync(a.zipPath)).digest("hex")).toBe(a.sha256);
    expect(fs.readFileSync(b.zipPath).equals(fs.readFileSync(a.zipPath))).toBe(true);

    const entries = readZipFileDirectory(a.zipPath);
    const list = names(entries);
    expect(list).toEqual([...list].sort());
    for (const e of entries) {
      expect(e.madeBy, e.name).toBe(3); // Unix, so the modes are honoured
      expect(e.extraLength, e.name).toBe(0); // no extended timestamp
      expect([e.dosDate, e.dosTime], e.name).toEqual([(0 << 9) | (1 << 5) | 1, 0]); // 1980-01-01 00:00
      const want = e.name.endsWith("/") ? DIR_MODE : e.name === "bootstrap" ? EXEC_MODE : FILE_MODE;
      expect(e.mode.toString(8), e.name).toBe(want.toString(8));
    }
    // Every directory has its own entry, before its contents.
    for (const n of list)
      if (n.includes("/")) {
        const parent = n.endsWith("/")
          ? n.slice(0, n.slice(0, -1).lastIndexOf("/") + 1)
          : n.slice(0, n.lastIndexOf("/") + 1);
        if (parent) expect(list.indexOf(parent), n).toBeLessThan(list.indexOf(n));
      }
    expect(list).toEqual(expect.arrayContaining(["bootstrap", "runtime.mjs", "index.mjs"]));
    expect(a.handler).toBe("bootstrap");
    expect(a.warnings.join("\n")).toMatch(/provided\.al2023 has no Node\.js/);
    // No temp file left beside the output.
    expect(fs.readdirSync(dir).filter((f) => f.includes(".tmp-"))).toEqual([]);

    if (HAVE_UNZIP) {
      // Info-ZIP, an independent reader, agrees on integrity and modes.
      expect(spawnSync("unzip", ["-tq", a.zipPath]).status).toBe(0);
      const zi = spawnSync("zipinfo", [a.zipPath], { encoding: "utf8" }).stdout;
      expect(zi).toMatch(/^-rwxr-xr-x .* bootstrap$/m);
      expect(zi).toMatch(/^drwxr-xr-x .* node_modules\/$/m);
      expect(zi).toMatch(/^-rw-r--r-- .* index\.mjs$/m);
    }
  });
});

describe("Lambda size limits", () => {
  /** A small model whose external data file is padded to `bytes` (random or sparse zeros). */
  async function paddedModel(tag: string, bytes: number, random: boolean): Promise<string> {
    const d = path.join(dir, tag);
    fs.mkdirSync(d);
    const model = path.join(d, "padded.onnx");
    await writeModel(makeMlp({ widths: [32, 32, 4] }), model, { externalData: "always" });
    const data = `${model}.data`;
    if (random) fs.appendFileSync(data, crypto.randomBytes(bytes - fs.statSync(data).size));
    else fs.truncateSync(data, bytes);
    return model;
  }

  it("warns over 50 MB zipped (S3 upload) and still writes the zip", async () => {
    const model = await paddedModel("fifty", 36 * 1024 * 1024, true);
    const logger = recordingLogger();
    const r = await buildLambdaZip({ model, output: path.join(dir, "fifty.zip"), logger });
    expect(r.zippedBytes).toBeGreaterThan(50 * 1024 * 1024);
    expect(r.breakdown.model.files).toBe(2); // the .onnx and its external data
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/over Lambda's 50 MB limit for direct upload: upload it to S3/);
    expect(logger.warnings).toEqual(r.warnings);
    fs.rmSync(r.zipPath);
  });

  it("refuses over 250 MB unzipped, suggesting a container image or an S3-hosted model", async () => {
    const model = await paddedModel("huge", 240 * 1024 * 1024, false);
    const out = path.join(dir, "huge.zip");
    const err = await buildLambdaZip({ model, output: out }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/unzipped, over Lambda's 250 MB limit/);
    expect((err as UserError).hint).toMatch(/--target lambda-image/);
    expect((err as UserError).hint).toMatch(/S3/);
    expect(fs.existsSync(out)).toBe(false);
  });

  it("rejects bad settings and names with a clear message", async () => {
    const out = path.join(dir, "bad.zip");
    await expect(buildLambdaZip({ model: small, output: out, lambda: { memory: 64 } })).rejects.toThrow(
      /128-10240 MB/,
    );
    await expect(buildLambdaZip({ model: small, output: out, name: "a b" })).rejects.toThrow(/may only hold/);
    await expect(buildLambdaZip({ model: path.join(dir, "missing.onnx"), output: out })).rejects.toThrow(
      /no such file/,
    );
    expect(fs.existsSync(out)).toBe(false);
  });
});
