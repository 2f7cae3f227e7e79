import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { readModel, readModelFromBytes } from "./read.js";
import { encodeModelProto, create, ModelProtoSchema } from "./proto.js";
import { makeGraph, makeModel, makeNode, makeValueInfo } from "./build.js";
import { makeMlp } from "./fixtures.js";
import { arrayToTensor } from "./tensor.js";
import { DT } from "./dtypes.js";
import { ModelFormatError, UserError } from "../errors.js";
import { tempDir } from "../../test/helpers/tmp.js";
import { runInProcess, BACKEND } from "../../test/helpers/cli.js";

const dir = tempDir();
const good = encodeModelProto(makeMlp({ widths: [8, 16, 4] }));

function file(name: string, bytes: Uint8Array): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, bytes);
  return p;
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 127) {
    out.push((n % 128) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** ModelProto bytes whose graph nests If-bodies `depth` levels deep, built without recursion. */
function deeplyNested(depth: number): Uint8Array {
  const name = [0x0a, 0x01, 0x67]; // AttributeProto.name = "g"
  const op = [0x22, 0x02, 0x49, 0x66]; // NodeProto.op_type = "If"
  const graphLen: number[] = [0];
  for (let i = 1; i <= depth; i++) {
    const attrLen = name.length + 1 + varint(graphLen[i - 1]).length + graphLen[i - 1];
    const nodeLen = op.length + 1 + varint(attrLen).length + attrLen;
    graphLen.push(1 + varint(nodeLen).length + nodeLen);
  }
  const out: number[] = [0x08, 0x08, 0x3a, ...varint(graphLen[depth])]; // ir_version 8, graph
  for (let i = depth; i >= 1; i--) {
    const attrLen = name.length + 1 + varint(graphLen[i - 1]).length + graphLen[i - 1];
    const nodeLen = op.length + 1 + varint(attrLen).length + attrLen;
    out.push(
      0x0a,
      ...varint(nodeLen),
      ...op,
      0x2a,
      ...varint(attrLen),
      ...name,
      0x32,
      ...varint(graphLen[i - 1]),
    );
  }
  return Uint8Array.from(out);
}

/** Each bad input: one clear line, exit code 1, within a second, no stack trace. */
async function expectCleanFailure(p: string, message: RegExp) {
  for (const cmd of ["inspect", "validate"]) {
    const r = await runInProcess([cmd, p]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(r.stderr.split("\n")[0]).toMatch(/^error: /);
    expect(r.ms).toBeLessThan(1000);
  }
}

describe("readModel on bad input", () => {
  // The first in-process run loads the CLI's modules; the one-second bound is about reading the file.
  beforeAll(async () => {
    for (const cmd of ["inspect", "validate"]) await runInProcess([cmd, file("warm.onnx", good)]);
  });

  it("reads a good model", async () => {
    const m = await readModel(file("good.onnx", good));
    expect(m.proto.graph?.node.length).toBe(3);
    expect(m.protoBytes).toBe(good.length);
  });

  it("truncated file", async () => {
    await expectCleanFailure(
      file("trunc.onnx", good.subarray(0, Math.floor(good.length / 2))),
      /not a valid ONNX protobuf \(premature EOF/,
    );
  });

  it("random bytes", async () => {
    let seed = 7;
    const bytes = Uint8Array.from(
      { length: 4096 },
      () => ((seed = (seed * 1103515245 + 12345) >>> 0) >> 16) & 255,
    );
    await expectCleanFailure(file("random.onnx", bytes), /not a valid ONNX protobuf|not an ONNX model/);
  });

  it("empty file", async () => {
    await expectCleanFailure(file("empty.onnx", new Uint8Array(0)), /the file is empty/);
  });

  it("a protobuf that is not a model (a TensorProto .pb)", async () => {
    await expectCleanFailure(
      path.join(BACKEND, "test_abs/test_data_set_0/input_0.pb"),
      /not a valid ONNX protobuf|not an ONNX model/,
    );
  });

  it("a ModelProto without a graph", async () => {
    const bytes = encodeModelProto(create(ModelProtoSchema, { irVersion: 8n }));
    await expectCleanFailure(file("nograph.onnx", bytes), /not an ONNX model \(the protobuf has no graph\)/);
  });

  it("a length prefix in the billions", async () => {
    // A string field (producer_name) claiming 2e9 bytes: bounds are checked before any copy.
    const bytes = Uint8Array.from([0x08, 0x08, 0x12, ...varint(2_000_000_000), 1, 2, 3]);
    await expectCleanFailure(file("biglen.onnx", bytes), /premature EOF/);
    // A sub-message (graph) claiming 2e9 bytes.
    const sub = Uint8Array.from([0x08, 0x08, 0x3a, ...varint(2_000_000_000), 1, 2, 3]);
    await expectCleanFailure(file("biglen1.onnx", sub), /not a valid ONNX protobuf/);
    // Past 2^31 the decoder's uint32 length wraps; it must still fail cleanly.
    const wrapped = Uint8Array.from([0x08, 0x08, 0x3a, ...varint(3_000_000_000), 1, 2, 3]);
    await expectCleanFailure(file("biglen2.onnx", wrapped), /not a valid ONNX protobuf/);
  });

  it("declared dims in the billions with a tiny payload", async () => {
    const m = makeMlp({ widths: [4, 4] });
    m.graph!.initializer[0].dims = [3_000_000_000n, 3_000_000_000n];
    await expectCleanFailure(
      file("bigdims.onnx", encodeModelProto(m)),
      /declares dims \[3000000000,3000000000\] of float \(3\.60e\+19 bytes\) but holds 64 bytes/,
    );
  });

  it("subgraphs nested beyond the decoder's limit (100 levels)", async () => {
    await expectCleanFailure(file("deep100.onnx", deeplyNested(100)), /nested too deeply to read/);
  });

  it("the documented limit: 32 levels of subgraphs read, 33 are refused (README: past 32 levels)", () => {
    expect(() => readModelFromBytes(deeplyNested(32))).not.toThrow();
    expect(() => readModelFromBytes(deeplyNested(33))).toThrow(/nested too deeply to read/);
  });

  it("subgraphs nested beyond a configured depth limit", () => {
    expect(() => readModelFromBytes(deeplyNested(20), { maxGraphDepth: 8 })).toThrow(
      /nested 9 levels deep \(limit 8\)/,
    );
  });

  it("subgraphs nested 200,000 levels (would overflow a recursive decoder)", async () => {
    await expectCleanFailure(file("deep200k.onnx", deeplyNested(200_000)), /nested too deeply to read/);
  });

  it("missing file and directory are user errors", async () => {
    await expect(readModel(path.join(dir, "nope.onnx"))).rejects.toThrow(
      /cannot read .*nope\.onnx: no such file/,
    );
    await expect(readModel(dir)).rejects.toThrow(UserError);
    const r = await runInProcess(["inspect", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is a directory/);
  });

  it("/dev/zero, a FIFO and a directory fail at once with what they are", async () => {
    const fifo = path.join(dir, "model-fifo.onnx");
    if (!fs.existsSync(fifo)) execFileSync("mkfifo", [fifo]);
    const cases: [string, RegExp][] = [
      ["/dev/zero", /\/dev\/zero is a character device, not a model file/],
      [fifo, /model-fifo\.onnx is a FIFO \(named pipe\), not a model file/],
      [dir, /is a directory, not a model file/],
    ];
    for (const [p, want] of cases) {
      const err = await readModel(p).catch((e: unknown) => e);
      expect(err, p).toBeInstanceOf(UserError);
      expect((err as Error).message).toMatch(want);
    }
    await expectCleanFailure("/dev/zero", /character device, not a model file/);
    await expectCleanFailure(fifo, /FIFO \(named pipe\), not a model file/);
  });

  it("unknown data type in an initializer", () => {
    const m = makeModel({
      nodes: [makeNode("Identity", ["w"], ["y"])],
      inputs: [],
      outputs: [makeValueInfo("y", DT.FLOAT)],
      initializers: [arrayToTensor("w", DT.FLOAT, [1], new Float32Array(1))],
    });
    m.graph!.initializer[0].dataType = 77;
    expect(() => readModelFromBytes(encodeModelProto(m))).toThrow(ModelFormatError);
    expect(() => readModelFromBytes(encodeModelProto(m))).toThrow(/unknown data_type 77/);
  });

  it("accepts nesting within the limit", () => {
    let g = makeGraph({ nodes: [], inputs: [], outputs: [] });
    for (let i = 0; i < 10; i++) {
      g = makeGraph({
        nodes: [makeNode("If", ["c"], [], { then_branch: { graph: g }, else_branch: { graph: g } })],
        inputs: [],
        outputs: [],
      });
    }
    const m = makeModel({ nodes: g.node, inputs: [makeValueInfo("c", DT.BOOL, [])], outputs: [] });
    expect(readModelFromBytes(encodeModelProto(m)).proto.graph!.node[0].opType).toBe("If");
  });
});
