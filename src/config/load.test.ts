import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { configProblems, loadConfig, parseConfigText } from "./load.js";
import { resolveServeOptions } from "../serve/options.js";
import { generateConfigSchema, SCHEMA_FILE } from "../../scripts/gen-config-schema.js";
import { tempDir } from "../../test/helpers/tmp.js";

const dir = tempDir("mlpack-config-");

function write(name: string, text: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

describe("config", () => {
  it("the committed JSON Schema is generated from the current types", () => {
    expect(fs.readFileSync(SCHEMA_FILE, "utf8")).toBe(generateConfigSchema());
  });

  it("loads a full YAML config", () => {
    const f = write(
      "full.yaml",
      `model: model.onnx
name: classifier
quantize:
  mode: static
  calibration: calib/
  perChannel: true
  maxAccuracyDrop: 0.01
bench:
  baseline: baseline.json
  threshold: 0.1
targets:
  docker: { tag: 127.0.0.1:5000/classifier:1, platforms: [linux/amd64, linux/arm64], push: true }
  lambda: { arch: arm64, memory: 2048 }
  tfjs: { quantize: float16 }
server: { workers: 2, maxBatchSize: 8, maxQueueDelayMs: 2 }
`,
    );
    const c = loadConfig(f);
    expect(c.config.targets.docker!.platforms).toEqual(["linux/amd64", "linux/arm64"]);
    expect(c.dir).toBe(dir);
  });

  it("a typo'd key names the key path and suggests the right one", () => {
    const problems = configProblems({ model: "m.onnx", targets: { dockr: {} } });
    expect(problems).toEqual([
      'unknown key "targets.dockr" (did you mean "docker"?); allowed keys here: docker, lambda, tfjs, kubernetes',
    ]);
    const nested = configProblems({ model: "m.onnx", targets: { docker: {} }, quantize: { mod: "dynamic" } });
    expect(nested[0]).toMatch(/^unknown key "quantize\.mod" \(did you mean "mode"\?\)/);
  });

  it("wrong types, enum values, bounds and missing keys are all reported at once", () => {
    const problems = configProblems({
      targets: { lambda: { arch: "x86", memory: 64 } },
      bench: { threshold: "10%" },
    });
    expect(problems).toContain('missing required key "model"');
    expect(problems).toContain('targets.lambda.arch: "x86" is not allowed; use one of x86_64, arm64');
    expect(problems).toContain("targets.lambda.memory: must be >= 128 (got 64)");
    expect(problems).toContain('bench.threshold: must be a number (got "10%")');
  });

  it("server options out of the serve option table's ranges are refused with mlpack serve's own message", () => {
    const problems = configProblems({
      model: "m.onnx",
      targets: { docker: {} },
      server: {
        maxBatchSize: 100000,
        intraOpThreads: 300,
        maxQueueDelayMs: 70000,
        logLevel: "loud",
        wrkers: 2,
      },
    });
    expect(problems).toEqual([
      "server.maxBatchSize: 100000 is out of range [1, 65536]",
      "server.intraOpThreads: 300 is out of range [1, 256]",
      "server.maxQueueDelayMs: 70000 is out of range [0, 60000]",
      'server.logLevel: expected one of debug, info, warn, error, got "loud"',
      expect.stringMatching(/^unknown key "server\.wrkers"; allowed keys here: port, workers, /),
    ]);
    // `mlpack serve` says the same of the same values.
    const serve = () =>
      resolveServeOptions(
        [{ kind: "file", file: "c.json", values: { models: ["m.onnx"], maxBatchSize: 100000 } }],
        { cpuCount: 2 },
      );
    expect(serve).toThrow('c.json: "max-batch-size": 100000 is out of range [1, 65536]');
  });

  it("the loader throws a UserError listing the problems; YAML syntax errors carry the line", () => {
    const f = write("typo.yaml", "model: m.onnx\ntargets:\n  dockr: {}\n");
    expect(() => loadConfig(f)).toThrow(/typo\.yaml: unknown key "targets\.dockr"/);
    expect(() => parseConfigText("model: [unclosed\n", "bad.yaml")).toThrow(
      /bad\.yaml:\d+:\d+: not valid YAML/,
    );
    expect(() => loadConfig(undefined, path.join(dir, "nowhere"))).toThrow(/no mlpack\.yaml/);
  });

  it("reads mlpack.json too", () => {
    const sub = path.join(dir, "json");
    fs.mkdirSync(sub);
    fs.writeFileSync(
      path.join(sub, "mlpack.json"),
      JSON.stringify({ model: "m.onnx", targets: { tfjs: {} } }),
    );
    expect(loadConfig(undefined, sub).config.targets.tfjs).toEqual({});
  });
});

describe("mlpack init", () => {
  it("writes a commented config that validates, and refuses to overwrite", async () => {
    const { initConfig } = await import("./init.js");
    const { writeModel } = await import("../onnx/write.js");
    const { makeResNet } = await import("../onnx/fixtures.js");
    const model = path.join(dir, "net.onnx");
    await writeModel(makeResNet(), model);
    const out = path.join(dir, "init", "mlpack.yaml");
    const r = await initConfig(model, { output: out });
    expect(r.quantizeMode).toBe("static");
    const text = fs.readFileSync(out, "utf8");
    expect(text).toMatch(/^# mlpack configuration/);
    expect(text).toMatch(/# {3}input {2}input: tensor\(float\) \[batch, 3, 32, 32\]/);
    expect(loadConfig(out).config.model).toBe("../net.onnx");
    await expect(initConfig(model, { output: out })).rejects.toThrow(/already exists/);
    await initConfig(model, { output: out, force: true });
  });
});
