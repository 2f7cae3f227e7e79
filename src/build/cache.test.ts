import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BuildCache, hashJson, sha256File } from "./cache.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlpack-cache-test-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("build cache", () => {
  it("reuses a result only while its key matches and its files are untouched", () => {
    const out = path.join(dir, "artifact.bin");
    fs.writeFileSync(out, "v1");
    const cache = new BuildCache(path.join(dir, "c1"));
    cache.put("lambda", "k1", { sha: "abc" }, [out]);
    expect(cache.get("lambda", "k1")).toEqual({ sha: "abc" });
    expect(cache.get("lambda", "k2")).toBeUndefined();
    expect(cache.get("docker", "k1")).toBeUndefined();
    fs.writeFileSync(out, "v2 is longer");
    expect(cache.get("lambda", "k1")).toBeUndefined();
    fs.rmSync(out);
    expect(cache.get("lambda", "k1")).toBeUndefined();
  });

  it("covers every file below an output directory", () => {
    const d = path.join(dir, "bundle");
    fs.mkdirSync(path.join(d, "model"), { recursive: true });
    fs.writeFileSync(path.join(d, "model/model.json"), "{}");
    const cache = new BuildCache(path.join(dir, "c2"));
    cache.put("tfjs", "k", 1, [d]);
    expect(cache.get("tfjs", "k")).toBe(1);
    fs.writeFileSync(path.join(d, "model/model.json"), '{"changed":true}');
    expect(cache.get("tfjs", "k")).toBeUndefined();
  });

  it("remembers file hashes across runs by size and mtime; --no-cache rewrites without reading", async () => {
    const f = path.join(dir, "model.onnx");
    fs.writeFileSync(f, "weights");
    const a = new BuildCache(path.join(dir, "c3"));
    const h = await a.fileHash(f);
    expect(h).toBe(await sha256File(f));
    a.save();
    const b = new BuildCache(path.join(dir, "c3"));
    expect(await b.fileHash(f)).toBe(h);
    // --no-cache: nothing stored is reused, but this build's results are recorded for the next one.
    const fresh = new BuildCache(path.join(dir, "c4"), false);
    fresh.put("x", "k", 1, []);
    expect(fresh.get("x", "k")).toBeUndefined();
    expect(new BuildCache(path.join(dir, "c4")).get("x", "k")).toBe(1);
  });

  it("hashes JSON keys stably", () => {
    expect(hashJson({ a: 1, b: [2] })).toBe(hashJson({ a: 1, b: [2] }));
    expect(hashJson({ a: 1 })).not.toBe(hashJson({ a: 2 }));
  });

  it("stores paths relative to the output folder, so a copied project keeps its cache", async () => {
    const project = path.join(dir, "project");
    const out = path.join(project, "dist");
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(project, "model.onnx"), "weights");
    fs.writeFileSync(path.join(out, "model-lambda.zip"), "zip");
    const a = new BuildCache(path.join(out, ".mlpack-cache"), true, out, [project, out]);
    await a.fileHash(path.join(project, "model.onnx"));
    const record = {
      path: path.join(out, "model-lambda.zip"),
      source: path.join(project, "model.onnx"),
      tmp: "/elsewhere/x",
    };
    a.put("lambda", "k", record, [record.path]);
    a.save();
    const raw = fs.readFileSync(path.join(out, ".mlpack-cache/lambda.json"), "utf8");
    expect(raw).not.toContain(project);
    expect(
      Object.keys(
        JSON.parse(fs.readFileSync(path.join(out, ".mlpack-cache/file-hashes.json"), "utf8")) as object,
      ),
    ).toEqual(["../model.onnx"]);

    const copy = path.join(dir, "copy");
    // As a user copies it (cp -a keeps mtimes).
    execFileSync("cp", ["-a", project, copy]);
    const b = new BuildCache(path.join(copy, "dist/.mlpack-cache"), true, path.join(copy, "dist"), [copy]);
    const hit = b.get<typeof record>("lambda", "k");
    expect(hit).toEqual({ path: "model-lambda.zip", source: "../model.onnx", tmp: "/elsewhere/x" });
    expect(b.resolve(hit!.path)).toBe(path.join(copy, "dist/model-lambda.zip"));
    // The copy's own files are what the entry checks.
    fs.writeFileSync(path.join(copy, "dist/model-lambda.zip"), "changed zip");
    expect(b.get("lambda", "k")).toBeUndefined();
  });
});
