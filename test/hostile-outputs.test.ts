/**
 * User mistakes about outputs and shapes are user errors (exit 1, one line, a hint), never exit 70,
 * and the atomic writer never renames a file over something that is not a regular file: `-o /dev/null`
 * run as root would replace the device node. Special files are made in a temp dir (a FIFO), never
 * the real /dev/null.
 */
import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { writeModel } from "../src/onnx/write.js";
import { makeMlp } from "../src/onnx/fixtures.js";
import { makeModel, makeNode, makeValueInfo } from "../src/onnx/build.js";
import { DT } from "../src/onnx/dtypes.js";
import { checkOutputFile, writeFileAtomic } from "../src/write-atomic.js";
import { UserError } from "../src/errors.js";
import { tempDir } from "./helpers/tmp.js";
import { runInProcess } from "./helpers/cli.js";

const root = tempDir("mlpack-outputs-");
const model = path.join(root, "m.onnx");
const dir = path.join(root, "adir");
const file = path.join(root, "afile");
const fifo = path.join(root, "fifo");
fs.mkdirSync(dir);
fs.writeFileSync(file, "keep me");
execFileSync("mkfifo", [fifo]);

function untouched(): void {
  expect(fs.statSync(dir).isDirectory()).toBe(true);
  expect(fs.readdirSync(dir)).toEqual([]);
  expect(fs.readFileSync(file, "utf8")).toBe("keep me");
  expect(fs.lstatSync(fifo).isFIFO()).toBe(true);
  expect(fs.readdirSync(root).filter((f) => f.includes(".tmp"))).toEqual([]);
}

describe("the atomic writer refuses to replace what is not a regular file", () => {
  it.each([
    ["a directory", dir, /is a directory, not a regular file; nothing was written/],
    ["a FIFO", fifo, /is a FIFO \(named pipe\), not a regular file/],
    ["a path under a file", path.join(file, "x.json"), /afile is a file, not a directory/],
  ])("%s", (_what, target, message) => {
    expect(() => checkOutputFile(target)).toThrow(UserError);
    expect(() => writeFileAtomic(target, "{}")).toThrow(message);
    untouched();
  });

  it("a character device (checked by kind, without writing to one)", () => {
    if (!fs.existsSync("/dev/null")) return;
    expect(() => checkOutputFile("/dev/null", "report")).toThrow(
      /report \/dev\/null is a character device, not a regular file/,
    );
  });

  it("writeModel refuses a FIFO and a directory before writing anything", async () => {
    for (const target of [fifo, dir])
      await expect(writeModel(makeMlp({ widths: [4, 2] }), target)).rejects.toThrow(UserError);
    untouched();
  });

  it("a regular file and a new path are fine", () => {
    writeFileAtomic(path.join(root, "new", "deep", "x.json"), "{}");
    expect(fs.readFileSync(path.join(root, "new", "deep", "x.json"), "utf8")).toBe("{}");
  });
});

describe("user errors exit 1, not 70", () => {
  it("quantize -o a directory, a FIFO, a path under a file", async () => {
    await writeModel(makeMlp({ widths: [4, 4, 2] }), model);
    for (const [target, message] of [
      [dir, /quantized model .*adir is a directory/],
      [fifo, /quantized model .*fifo is a FIFO/],
      [path.join(file, "q.onnx"), /afile is a file, not a directory/],
    ] as const) {
      const r = await runInProcess(["quantize", model, "-o", target]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/hint: /);
      expect(r.stderr).not.toMatch(/internal error/);
    }
    untouched();
  });

  it("a model path that is a directory", async () => {
    for (const cmd of [["inspect"], ["validate"], ["bench"], ["quantize", "-o", path.join(root, "q.onnx")]]) {
      const r = await runInProcess([cmd[0], dir, ...cmd.slice(1)]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/adir is a directory, not a model file/);
    }
  });

  it("a model whose declared input shape overflows", async () => {
    const big = [1e9, 1e9, 1e9];
    const huge = path.join(root, "huge.onnx");
    await writeModel(
      makeModel({
        name: "huge",
        nodes: [makeNode("Relu", ["x"], ["y"], {}, { name: "r" })],
        inputs: [makeValueInfo("x", DT.FLOAT, big)],
        outputs: [makeValueInfo("y", DT.FLOAT, big)],
        initializers: [],
        opsets: { "": 17 },
      }),
      huge,
    );
    for (const args of [
      ["quantize", huge, "-o", path.join(root, "hq.onnx")],
      ["bench", huge, "--iterations", "2"],
      ["bench", model, "--shape", "input=1e12,4", "--iterations", "2"],
    ]) {
      const r = await runInProcess(args);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toMatch(/would have \S+ elements/);
    }
  });
});
