import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it, expect } from "vitest";
import {
  OUTPUT_FILE,
  SpecParseError,
  generateSchemaSource,
  parseChangelog,
  readSpecs,
  repoRoot,
} from "../../../scripts/gen-op-schemas.js";
import {
  allSchemas,
  hasOp,
  knownDomains,
  latestOpsetVersion,
  normalizeDomain,
  resolveSchema,
  schemaVersions,
} from "./registry.js";
import type { OpSchema } from "./types.js";

const INF = Number.MAX_SAFE_INTEGER;

function must(domain: string, op: string, opset: number): OpSchema {
  const s = resolveSchema(domain, op, opset);
  if (!s) throw new Error(`no schema for ${domain}:${op} at opset ${opset}`);
  return s;
}

const byName = <T extends { name: string }>(xs: readonly T[], name: string): T | undefined =>
  xs.find((x) => x.name === name);

describe("schema registry", () => {
  it("knows every domain, with many ops in each", () => {
    expect(knownDomains()).toEqual([
      "",
      "ai.onnx.ml",
      "ai.onnx.preview",
      "ai.onnx.preview.training",
      "com.microsoft",
    ]);
    const ops = (d: string) =>
      new Set(
        allSchemas()
          .filter((s) => s.domain === d)
          .map((s) => s.name),
      ).size;
    expect(ops("")).toBeGreaterThanOrEqual(190);
    expect(ops("ai.onnx.ml")).toBeGreaterThanOrEqual(18);
    expect(ops("ai.onnx.preview.training")).toBeGreaterThanOrEqual(4);
    expect(ops("com.microsoft")).toBeGreaterThanOrEqual(40);
    expect(allSchemas().length).toBeGreaterThan(600);
  });

  it("resolves Conv at opset 13 to Conv-11 with its attributes", () => {
    const conv = must("", "Conv", 13);
    expect(conv.sinceVersion).toBe(11);
    expect(byName(conv.attributes, "auto_pad")).toEqual({
      name: "auto_pad",
      type: "string",
      required: false,
      default: "NOTSET",
    });
    expect(byName(conv.attributes, "kernel_shape")).toEqual({
      name: "kernel_shape",
      type: "ints",
      required: false,
    });
    expect(byName(conv.attributes, "group")?.default).toBe(1);
    expect(conv.inputs.map((p) => p.option)).toEqual(["single", "single", "optional"]);
    expect([conv.minInputs, conv.maxInputs, conv.minOutputs, conv.maxOutputs]).toEqual([2, 3, 1, 1]);
    expect(conv.typeConstraints).toEqual([
      { param: "T", allowed: ["tensor(float16)", "tensor(float)", "tensor(double)"] },
    ]);
  });

  it("treats ai.onnx and the empty domain as one", () => {
    expect(normalizeDomain("ai.onnx")).toBe("");
    expect(normalizeDomain("ai.onnx.ml")).toBe("ai.onnx.ml");
    expect(resolveSchema("ai.onnx", "Relu", 14)).toBe(resolveSchema("", "Relu", 14));
    expect(hasOp("ai.onnx", "Relu")).toBe(true);
  });

  it("parses Loop's optional and heterogeneous variadic inputs", () => {
    const loop = must("", "Loop", 16);
    expect(loop.sinceVersion).toBe(16);
    expect(loop.inputs).toEqual([
      { name: "M", type: "I", option: "optional", homogeneous: true },
      { name: "cond", type: "B", option: "optional", homogeneous: true },
      { name: "v_initial", type: "V", option: "variadic", homogeneous: false },
    ]);
    expect([loop.minInputs, loop.maxInputs, loop.minOutputs, loop.maxOutputs]).toEqual([2, INF, 1, INF]);
    expect(byName(loop.attributes, "body")).toEqual({ name: "body", type: "graph", required: true });
    // Loop-1 printed "(3 - ∞)": the arity comes from the spec, not from the params.
    expect(must("", "Loop", 1).minInputs).toBe(3);
  });

  it("parses If, Scan and Split variants", () => {
    const ifOp = must("", "If", 21);
    expect(byName(ifOp.attributes, "then_branch")?.required).toBe(true);
    expect(ifOp.outputs[0]).toMatchObject({ option: "variadic", homogeneous: false });
    const scan = must("", "Scan", 9);
    expect(byName(scan.attributes, "num_scan_inputs")).toEqual({
      name: "num_scan_inputs",
      type: "int",
      required: true,
    });
    const split = must("", "Split", 18);
    expect(split.inputs[1]).toEqual({
      name: "split",
      type: "tensor(int64)",
      option: "optional",
      homogeneous: true,
    });
    expect([split.minOutputs, split.maxOutputs]).toEqual([1, INF]);
    expect(byName(split.attributes, "num_outputs")?.type).toBe("int");
  });

  it("parses Resize-19's optional inputs", () => {
    const resize = must("", "Resize", 19);
    expect(resize.sinceVersion).toBe(19);
    expect(resize.inputs.map((p) => `${p.name}:${p.option}:${p.type}`)).toEqual([
      "X:single:T1",
      "roi:optional:T2",
      "scales:optional:tensor(float)",
      "sizes:optional:tensor(int64)",
    ]);
    expect([resize.minInputs, resize.maxInputs]).toEqual([1, 4]);
    expect(byName(resize.attributes, "cubic_coeff_a")?.default).toBe(-0.75);
  });

  it("parses required attributes and parsed defaults", () => {
    expect(byName(must("", "Cast", 21).attributes, "to")).toEqual({
      name: "to",
      type: "int",
      required: true,
    });
    expect(byName(must("", "MeanVarianceNormalization", 13).attributes, "axes")?.default).toEqual([0, 2, 3]);
    expect(byName(must("", "Clip", 6).attributes, "min")?.default).toBe(-3.402823e38);
    expect(byName(must("", "LSTM", 14).attributes, "activations")?.type).toBe("strings");
    expect(byName(must("", "LeakyRelu", 16).attributes, "alpha")?.default).toBe(0.01);
    expect(byName(must("", "Optional", 15).attributes, "type")?.type).toBe("type_proto");
    expect(byName(must("", "Constant", 13).attributes, "sparse_value")?.type).toBe("sparse_tensor");
  });

  it("parses Max's variadic input and sequence ops", () => {
    const max = must("", "Max", 13);
    expect(max.inputs).toEqual([{ name: "data_0", type: "T", option: "variadic", homogeneous: true }]);
    expect([max.minInputs, max.maxInputs]).toEqual([1, INF]);
    const ins = must("", "SequenceInsert", 11);
    expect(ins.inputs.map((p) => p.option)).toEqual(["single", "single", "optional"]);
    expect(ins.typeConstraints.find((c) => c.param === "S")?.allowed).toContain("seq(tensor(float))");
  });

  it("returns undefined below an op's first version and for unknown ops", () => {
    expect(resolveSchema("", "Conv", 0)).toBeUndefined();
    expect(resolveSchema("", "Gelu", 19)).toBeUndefined();
    expect(resolveSchema("", "Gelu", 20)?.sinceVersion).toBe(20);
    expect(resolveSchema("", "NoSuchOp", 20)).toBeUndefined();
    expect(resolveSchema("no.such.domain", "Conv", 20)).toBeUndefined();
    expect(hasOp("", "NoSuchOp")).toBe(false);
  });

  it("lists versions ascending", () => {
    const versions = schemaVersions("", "Conv").map((s) => s.sinceVersion);
    expect(versions).toEqual([1, 11, 22]);
    expect(schemaVersions("", "NoSuchOp")).toEqual([]);
  });

  it("covers ai.onnx.ml", () => {
    const lc = must("ai.onnx.ml", "LinearClassifier", 1);
    expect(byName(lc.attributes, "coefficients")).toEqual({
      name: "coefficients",
      type: "floats",
      required: true,
    });
    expect(byName(lc.attributes, "post_transform")?.default).toBe("NONE");
    expect(lc.outputs.map((p) => p.name)).toEqual(["Y", "Z"]);
    const castMap = must("ai.onnx.ml", "CastMap", 1);
    expect(castMap.typeConstraints[0].allowed).toEqual(["map(int64, string)", "map(int64, float)"]);
  });

  it("flags deprecated versions", () => {
    const up = must("", "Upsample", 13);
    expect(up.sinceVersion).toBe(10);
    expect(up.deprecated).toBe(true);
    expect(must("", "Upsample", 9).deprecated).toBe(false);
    expect(must("ai.onnx.ml", "TreeEnsembleClassifier", 5).deprecated).toBe(true);
    expect(allSchemas().filter((s) => s.deprecated).length).toBe(5);
  });

  it("reports the latest opset per domain", () => {
    expect(latestOpsetVersion("")).toBeGreaterThanOrEqual(22);
    expect(latestOpsetVersion("ai.onnx")).toBe(latestOpsetVersion(""));
    expect(latestOpsetVersion("ai.onnx.ml")).toBe(5);
    expect(latestOpsetVersion("com.microsoft")).toBe(1);
    expect(latestOpsetVersion("no.such.domain")).toBe(0);
  });

  it("has a constraint for every type parameter an input or output uses", () => {
    const missing: string[] = [];
    for (const s of allSchemas()) {
      const params = new Set(s.typeConstraints.map((c) => c.param));
      for (const p of [...s.inputs, ...s.outputs]) {
        if (!p.type.includes("(") && !params.has(p.type))
          missing.push(`${s.name}-${s.sinceVersion}.${p.name}`);
      }
      // A variadic param is always last, and arities are consistent.
      for (const ps of [s.inputs, s.outputs]) {
        ps.forEach((p, i) => p.option === "variadic" && expect(i).toBe(ps.length - 1));
      }
      expect(s.minInputs).toBeLessThanOrEqual(s.maxInputs);
      expect(s.minOutputs).toBeLessThanOrEqual(s.maxOutputs);
    }
    expect(missing).toEqual([]);
  });

  it("is sorted by domain, name and version", () => {
    const keys = allSchemas().map(
      (s) => `${s.domain}\u0000${s.name}\u0000${String(s.sinceVersion).padStart(4, "0")}`,
    );
    expect(keys).toEqual([...keys].sort());
  });

  it("includes the onnxruntime contribs", () => {
    const mnb = must("com.microsoft", "MatMulNBits", 1);
    expect(mnb.attributes.filter((a) => a.required).map((a) => a.name)).toEqual(["K", "N", "block_size"]);
    expect([mnb.minInputs, mnb.maxInputs]).toEqual([3, 6]);
    const concat = must("com.microsoft", "QLinearConcat", 1);
    expect(concat.inputs[2]).toMatchObject({ option: "variadic", homogeneous: false });
    expect([concat.minInputs, concat.maxInputs]).toEqual([3, INF]);
    expect(must("com.microsoft", "QLinearAdd", 1).minInputs).toBe(7);
    expect(must("com.microsoft", "EPContext", 1).minInputs).toBe(0);
    expect(hasOp("com.microsoft", "QLinearConv")).toBe(true);
    // onnxruntime's ai.onnx-domain LayerNormalization-1 covers opsets before ONNX's own (17).
    expect(must("", "LayerNormalization", 16).sinceVersion).toBe(1);
    expect(must("", "LayerNormalization", 17).sinceVersion).toBe(17);
    expect(must("", "SimplifiedLayerNormalization", 14).inputs.map((p) => p.name)).toEqual(["X", "scale"]);
  });
});

describe("gen-op-schemas", () => {
  const [main, ml] = readSpecs();

  it("is deterministic and the generated file is up to date", () => {
    const a = generateSchemaSource(main, ml);
    const b = generateSchemaSource(main, ml);
    expect(a).toBe(b);
    const committed = readFileSync(join(repoRoot(), OUTPUT_FILE), "utf8");
    // Not toBe(): a 500 kB diff is unreadable; say what to do instead.
    expect(committed === a, `${OUTPUT_FILE} is stale: run npm run gen:schemas`).toBe(true);
  });

  const op = (inputsBody: string, heading = "#### Inputs") =>
    [
      "# ai.onnx (default)",
      "## Version 1 of the default ONNX operator set",
      '### <a name="Foo-1"></a>**Foo-1**</a>',
      "",
      "  Prose, ignored.",
      "",
      "#### Version",
      "",
      "This version of the operator has been available since version 1 of the default ONNX operator set.",
      "",
      heading,
      "",
      "<dl>",
      inputsBody,
      "<dd>multi-line",
      "description</dd>",
      "</dl>",
      "",
      "#### Outputs",
      "",
      "<dl>",
      "<dt><tt>Y</tt> : T</dt>",
      "<dd>out</dd>",
      "</dl>",
      "",
      "#### Type Constraints",
      "",
      "<dl>",
      "<dt><tt>T</tt> : tensor(float), seq(tensor(int64))</dt>",
      "<dd>any</dd>",
      "</dl>",
    ].join("\n");

  it("parses a minimal op", () => {
    const [s] = parseChangelog(
      op("<dt><tt>X</tt> (optional, differentiable) : T</dt>", "#### Inputs (0 - 1)"),
      "t.md",
    );
    expect(s).toMatchObject({ domain: "", name: "Foo", sinceVersion: 1, minInputs: 0, maxInputs: 1 });
    expect(s.typeConstraints[0].allowed).toEqual(["tensor(float)", "seq(tensor(int64))"]);
  });

  it("decodes entities in arity ranges", () => {
    const [s] = parseChangelog(op("<dt><tt>X</tt> (variadic) : T</dt>", "#### Inputs (1 - &#8734;)"), "t.md");
    expect([s.minInputs, s.maxInputs]).toEqual([1, INF]);
  });

  it.each([
    ["an unknown param flag", "<dt><tt>X</tt> (sometimes) : T</dt>", /unknown param flag "sometimes"/],
    ["a stray line", "<dt><tt>X</tt> : T</dt>\nstray text", /unexpected line in the inputs section/],
    ["an unparsable type", "<dt><tt>X</tt> : tensor(</dt>", /cannot parse type/],
    [
      "a range that contradicts the params",
      "<dt><tt>X</tt> : T</dt>\n<dt><tt>Z</tt> (optional) : T</dt>",
      /no range printed/,
    ],
  ])("fails loudly on %s, naming the op and line", (_what, body, message) => {
    let error: unknown;
    try {
      parseChangelog(op(body), "t.md");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SpecParseError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toMatch(/^t\.md:\d+ \(ai\.onnx:Foo-1\)/);
  });

  it("fails on an unknown attribute type and an unterminated list", () => {
    const attrs = op("<dt><tt>X</tt> : T</dt>").replace(
      "#### Inputs",
      "#### Attributes\n\n<dl>\n<dt><tt>a</tt> : list of bananas</dt>\n</dl>\n\n#### Inputs",
    );
    expect(() => parseChangelog(attrs, "t.md")).toThrow(/cannot parse attribute|unknown attribute type/);
    expect(() =>
      parseChangelog(
        op("<dt><tt>X</tt> : T</dt>").replace("</dl>\n\n#### Outputs", "\n#### Outputs"),
        "t.md",
      ),
    ).toThrow(/unterminated <dl>/);
  });
});
