/**
 * Hostile and careless configs: oversized files, alias bombs, repeated keys, deep nesting, and
 * paths that are the wrong kind of thing (a directory or a device as the model, a file as the
 * output directory). Each is a user error (exit 1) that names the file and the key.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/load.js";
import { initConfig } from "../src/config/init.js";
import { MAX_CONFIG_BYTES } from "../src/config/parse.js";
import { UserError } from "../src/errors.js";
import { runInProcess, REPO } from "./helpers/cli.js";
import { tempDir } from "./helpers/tmp.js";

const dir = tempDir("mlpack-config-hostile-");
fs.copyFileSync(path.join(REPO, "examples/mlp/model.onnx"), path.join(dir, "model.onnx"));

function write(name: string, text: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

function loadError(file: string): UserError {
  try {
    loadConfig(file);
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return e as UserError;
  }
  throw new Error(`${file} loaded`);
}

const minimal = "model: model.onnx\ntargets:\n  tfjs: {}\n";

describe("config loading limits", () => {
  it("a file over the size limit is refused before it is parsed", () => {
    const f = write("big.yaml", `model: model.onnx\nname: "${"x".repeat(MAX_CONFIG_BYTES)}"\n`);
    expect(loadError(f).message).toMatch(/big\.yaml: 1\.0 MiB is over the 1 MiB limit for a config file/);
    // 2M keys or a 12M-item list cannot get past the size limit either.
    const list = write("list.json", `{"model":"m","targets":{},"x":[${"0,".repeat(600_000)}0]}`);
    expect(loadError(list).message).toMatch(/over the 1 MiB limit/);
  });

  it("a YAML alias bomb is a user error, not an internal one", () => {
    const levels = ["a: &a [x,x,x,x,x,x,x,x,x,x]"];
    for (let i = 1; i < 7; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(",")}]`);
    }
    const f = write("bomb.yaml", minimal + levels.join("\n") + "\n");
    expect(loadError(f).message).toMatch(/bomb\.yaml: YAML aliases \(\*name\) expand too much/);
  });

  it("a repeated key names its line and key path", () => {
    const f = write(
      "dup.yaml",
      "model: a.onnx\ntargets:\n  lambda: {}\n  tfjs: {}\n  lambda:\n    memory: 512\n",
    );
    expect(loadError(f).message).toMatch(/dup\.yaml:5:3: key "targets\.lambda" appears more than once/);
  });

  it("100k distinct keys parse in one pass, and the report lists only the first problems", () => {
    const keys = Array.from({ length: 100_000 }, (_, i) => `k${i}: 1`).join("\n");
    const f = write("keys.yaml", `${minimal}${keys}\n`);
    const msg = loadError(f).message;
    expect(msg).toMatch(/100000 problems:/);
    expect(msg).toMatch(/… and 99980 more$/);
    expect(msg.split("\n").length).toBe(22);
  }, 60_000);

  it("nesting past the depth limit is refused in YAML and JSON", () => {
    const deep = "[".repeat(10_000) + "]".repeat(10_000);
    expect(loadError(write("deep.yaml", `${minimal}x: ${deep}\n`)).message).toMatch(/nested too deeply/);
    expect(loadError(write("deep.json", `{"x": ${deep}}`)).message).toMatch(/nested too deeply/);
  });

  it("a config path that is a directory or a device is a clear error", () => {
    expect(loadError(dir).message).toMatch(/is a directory, not a config file/);
    expect(loadError("/dev/zero").message).toMatch(/\/dev\/zero is a character device, not a config file/);
  });
});

describe("init", () => {
  it('quotes a model file name that YAML would otherwise split (": ")', async () => {
    const sub = path.join(dir, "init");
    fs.mkdirSync(sub, { recursive: true });
    const model = path.join(sub, "net: v2 #1.onnx");
    fs.copyFileSync(path.join(dir, "model.onnx"), model);
    const out = path.join(sub, "mlpack.yaml");
    await initConfig(model, { output: out, force: true });
    expect(loadConfig(out).config.model).toBe("net: v2 #1.onnx");
  });
});

describe("build: paths in the config are checked with their key", () => {
  const fifo = path.join(dir, "pipe.onnx");
  if (!fs.existsSync(fifo)) execFileSync("mkfifo", [fifo]);
  const cases: [string, string, RegExp][] = [
    ["model-dir", "model: .", /model-dir\.yaml: model: .* is a directory, not a model file/],
    ["model-zero", "model: /dev/zero", /model-zero\.yaml: model: \/dev\/zero is a character device/],
    ["model-fifo", "model: pipe.onnx", /model-fifo\.yaml: model: .*pipe\.onnx is a FIFO \(named pipe\)/],
    [
      "output-file",
      "model: model.onnx\noutput: model.onnx",
      /output-file\.yaml: output: .*model\.onnx is a file, not a directory/,
    ],
    [
      "baseline-zero",
      "model: model.onnx\nbench:\n  duration: 10ms\n  baseline: /dev/zero",
      /baseline-zero\.yaml: bench\.baseline: \/dev\/zero is a character device, not a baseline file/,
    ],
  ];
  for (const [name, body, want] of cases) {
    it(
      name,
      async () => {
        // The bench step runs only for targets that ship an onnxruntime model.
        const target = name.startsWith("baseline") ? "lambda" : "tfjs";
        const f = write(`${name}.yaml`, `${body}\ntargets:\n  ${target}: {}\n`);
        const r = await runInProcess(["build", "--config", f, "--no-cache"]);
        expect(r.stderr, r.stdout).toMatch(want);
        expect(r.stderr).not.toMatch(/internal error/);
        expect(r.code).toBe(1);
      },
      30_000,
    );
  }
});
