import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fromBinary } from "@bufbuild/protobuf";
import { fastDecodeModel } from "./fast-decode.js";
import { encodeModelProto, ModelProtoSchema } from "./proto.js";
import { makeModel, makeNode, makeValueInfo, makeGraph } from "./build.js";
import { DT } from "./dtypes.js";
import { seededRandom } from "./random.js";
import { BACKEND } from "../../test/helpers/cli.js";

/** Same own properties in the same order, same prototypes, all the way down. */
function shape(x: unknown): unknown {
  if (x === null || typeof x !== "object" || ArrayBuffer.isView(x)) return x;
  const o = x as Record<string, unknown>;
  return {
    proto: Object.getPrototypeOf(o) === Array.prototype ? "array" : (o.$typeName ?? "object"),
    keys: Object.keys(o),
    values: Object.keys(o).map((k) => shape(o[k])),
  };
}

function expectSameAsGeneric(bytes: Uint8Array): "fast" | "gave up" {
  const fast = fastDecodeModel(bytes);
  if (!fast) return "gave up";
  const generic = fromBinary(ModelProtoSchema, bytes);
  expect(fast).toStrictEqual(generic);
  expect(shape(fast)).toEqual(shape(generic));
  return "fast";
}

const backend = fs
  .readdirSync(BACKEND)
  .filter((d) => fs.existsSync(path.join(BACKEND, d, "model.onnx")))
  .map((d) => new Uint8Array(fs.readFileSync(path.join(BACKEND, d, "model.onnx"))));

describe("fastDecodeModel", () => {
  it("decodes every backend-suite model exactly as fromBinary does", () => {
    expect(backend.length).toBeGreaterThan(1800);
    for (const bytes of backend) expect(expectSameAsGeneric(bytes)).toBe("fast");
  });

  it("keeps unknown fields, doc strings, subgraphs and list attributes as fromBinary does", () => {
    const body = makeGraph({
      nodes: [makeNode("Identity", ["x"], ["y"])],
      inputs: [],
      outputs: [makeValueInfo("y", DT.FLOAT)],
    });
    const node = makeNode("If", ["c"], ["y"], {
      then_branch: { graph: body },
      else_branch: { graph: body },
      ints: { ints: [1, -2, 3] },
      floats: { floats: [0.5, 2] },
      strs: { strings: ["a", "é"] },
      f: { float: 1.5 },
      s: { string: "x".repeat(40) },
    });
    node.docString = "a node with a doc string";
    node.$unknown = [{ no: 99, wireType: 0, data: new Uint8Array([5]) }];
    const model = makeModel({
      nodes: [node, makeNode("Relu", ["y"], ["z"], {}, { name: "ünïcode", domain: "ai.onnx" })],
      inputs: [makeValueInfo("c", DT.BOOL, [])],
      outputs: [makeValueInfo("z", DT.FLOAT)],
    });
    model.$unknown = [{ no: 77, wireType: 2, data: new Uint8Array([1, 65]) }];
    expect(expectSameAsGeneric(encodeModelProto(model))).toBe("fast");
  });

  it("on damaged bytes gives the same model as fromBinary or gives up", () => {
    const rand = seededRandom(5);
    let fast = 0;
    for (let i = 0; i < 3000; i++) {
      const b = new Uint8Array(backend[Math.floor(rand() * backend.length)]);
      for (let j = 0; j < 3; j++) b[Math.floor(rand() * b.length)] ^= 1 << Math.floor(rand() * 8);
      let generic = true;
      try {
        fromBinary(ModelProtoSchema, b);
      } catch {
        generic = false;
      }
      const r = expectSameAsGeneric(b);
      // It never reads a model that fromBinary refuses.
      if (!generic) expect(r).toBe("gave up");
      if (r === "fast") fast++;
    }
    expect(fast).toBeGreaterThan(100);
  });
});
