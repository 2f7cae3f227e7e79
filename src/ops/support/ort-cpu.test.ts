import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { allSchemas, schemaVersions } from "../schema/registry.js";
import { createOrtSupport, loadOrtTable, ortCpuSupport, ortCudaSupport } from "./ort-cpu.js";
import { opKey, serializeTable, type OrtSupportTable } from "./ort-table.js";
import { ortSessionFactory, probeOne, probeSignature, typeBindings, PROBE_TUPLE_LIMIT } from "./probe.js";
import { probeIoTypes } from "./probe-io.js";
import type { SupportQuery } from "./types.js";

const REGENERATE = "src/ops/support/ort-cpu.json is stale: re-run `npm run gen:ort-support`";
const table = loadOrtTable();

function installedOrtVersion(): string {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve("onnxruntime-node"));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "onnxruntime-node" && pkg.version) return pkg.version;
    } catch {
      // not here; go up
    }
    if (dirname(dir) === dir) throw new Error("onnxruntime-node's package.json not found");
    dir = dirname(dir);
  }
}

const query = (q: Partial<SupportQuery> & Pick<SupportQuery, "opType">): SupportQuery => ({
  domain: "",
  sinceVersion: undefined,
  opsetVersion: 17,
  types: {},
  ...q,
});

describe("ort-cpu.json", () => {
  it("was probed from the installed onnxruntime-node", () => {
    expect(table.onnxruntime, REGENERATE).toBe(installedOrtVersion());
  });

  it("has an entry for every op schema mlpack knows", () => {
    const missing = allSchemas()
      .map((s) => opKey(s.domain, s.name, s.sinceVersion))
      .filter((k) => !(k in table.ops));
    expect(missing, REGENERATE).toEqual([]);
  });

  it("is written in canonical form (sorted, one op per line)", () => {
    const text = readFileSync(new URL("./ort-cpu.json", import.meta.url), "utf8");
    expect(serializeTable(JSON.parse(text) as OrtSupportTable)).toBe(text);
  });

  it("lists the graph input/output types the installed onnxruntime-node passes", async () => {
    const io = await probeIoTypes(ortSessionFactory(ort), table.maxOpset[""], table.maxIrVersion);
    expect(table.ioTypes, REGENERATE).toEqual(io);
    expect(io.input).toContain("tensor(float)");
    expect(io.input).not.toContain("tensor(bfloat16)");
  });

  it("probed every op version's whole type cross product, except where types are open", () => {
    const partial = Object.entries(table.ops)
      .filter(([, e]) => e.exhaustive === false)
      .map(([k]) => k);
    expect(partial).toEqual(["com.microsoft::EPContext::1"]);
  });

  it("agrees with the installed runtime on a deterministic sample of probes", async () => {
    const supported: [string, string[]][] = [];
    const unsupported: [string, string[]][] = [];
    for (const schema of allSchemas()) {
      const key = opKey(schema.domain, schema.name, schema.sinceVersion);
      const entry = table.ops[key];
      if (!entry) continue;
      const sig = probeSignature(schema, schemaVersions(schema.domain, schema.name));
      const same = (a: string[]) => (b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
      for (const tuple of typeBindings(sig, PROBE_TUPLE_LIMIT).tuples) {
        if (entry.inconclusive?.some((c) => same(c.types)(tuple))) continue;
        (entry.supported?.some(same(tuple)) ? supported : unsupported).push([key, tuple]);
      }
    }
    const every = <T>(xs: T[], n: number): T[] =>
      Array.from({ length: n }, (_, i) => xs[Math.floor(((i + 0.5) * xs.length) / n)]);
    const sample = [
      ...every(supported, 20).map(([k, t]) => [k, t, "supported"] as const),
      ...every(unsupported, 20).map(([k, t]) => [k, t, "unsupported"] as const),
    ];

    const createSession = ortSessionFactory(ort);
    const disagreements: string[] = [];
    for (const [key, tuple, expected] of sample) {
      const [domain, name, version] = key.split("::");
      const versions = schemaVersions(domain, name);
      const sig = probeSignature(
        versions.find((s) => s.sinceVersion === Number(version))!,
        versions,
      );
      const params = sig.typeConstraints.map((c) => c.param);
      const got = await probeOne(createSession, sig, params, tuple);
      if (got.status !== expected) {
        disagreements.push(
          `${key} [${tuple.join(", ")}]: table says ${expected}, runtime says ${got.status} ${got.reason ?? ""}`,
        );
      }
    }
    expect(sample).toHaveLength(40);
    expect(disagreements, REGENERATE).toEqual([]);
  });
});

describe("ortCpuSupport.check", () => {
  it("supports Add-14 on float", () => {
    const q = query({ opType: "Add", sinceVersion: 14, opsetVersion: 17, types: { T: "tensor(float)" } });
    expect(ortCpuSupport.check(q)).toEqual({ supported: true });
  });

  it("treats unknown types as wildcards", () => {
    expect(ortCpuSupport.check(query({ opType: "Add", sinceVersion: 14, types: { T: undefined } }))).toEqual({
      supported: true,
    });
  });

  it("rejects a type tuple the runtime has no kernel for, and says what it does support", () => {
    const a = ortCpuSupport.check(
      query({ opType: "Relu", sinceVersion: 14, types: { T: "tensor(bfloat16)" } }),
    );
    expect(a.supported).toBe(false);
    if (a.supported) return;
    expect(a.reason).toContain("ai.onnx::Relu-14");
    expect(a.reason).toContain("T=tensor(bfloat16)");
    expect(a.hint).toContain("tensor(float)");
    expect(a.hint).toMatch(/Cast/);
  });

  it("names both ends of an unsupported Cast and suggests a route through float", () => {
    const a = ortCpuSupport.check(
      query({
        opType: "Cast",
        sinceVersion: 25,
        opsetVersion: 25,
        types: { T1: "tensor(float)", T2: "tensor(float4e2m1)" },
      }),
    );
    expect(a).toMatchObject({ supported: false });
    if (a.supported) return;
    expect(a.reason).toContain("from tensor(float) to tensor(float4e2m1)");
  });

  it("rejects an op it has never heard of", () => {
    const a = ortCpuSupport.check(query({ opType: "NoSuchOp", sinceVersion: 1 }));
    expect(a).toMatchObject({ supported: false });
    if (!a.supported) expect(a.reason).toMatch(/has no kernel for ai\.onnx::NoSuchOp-1/);
  });

  it("rejects an opset above the highest the runtime loads", () => {
    const max = ortCpuSupport.maxOpset("")!;
    const a = ortCpuSupport.check(query({ opType: "Add", sinceVersion: 14, opsetVersion: max + 1 }));
    expect(a).toMatchObject({ supported: false });
    if (!a.supported) expect(a.hint).toContain(`opset ${max} or lower`);
  });

  it("rejects unknown domains and reports known ones", () => {
    expect(ortCpuSupport.maxOpset("com.example")).toBeUndefined();
    expect(ortCpuSupport.maxOpset("ai.onnx")).toBe(table.maxOpset[""]);
    expect(
      ortCpuSupport.check(query({ domain: "com.example", opType: "Foo", opsetVersion: 1 })),
    ).toMatchObject({
      supported: false,
    });
  });

  it("resolves the version from the opset when mlpack has no schema for the node", () => {
    expect(
      ortCpuSupport.check(query({ opType: "Add", opsetVersion: 17, types: { T: "tensor(float)" } })),
    ).toEqual({
      supported: true,
    });
  });

  it("explains deprecated ops with their successor", () => {
    const a = ortCpuSupport.check(query({ opType: "Upsample", sinceVersion: 10, opsetVersion: 10 }));
    expect(a).toMatchObject({ supported: false });
    if (!a.supported) expect(a.hint).toContain("Resize");
  });

  it("finds OneHot's sparse type combinations (int64 indices, int32 values)", () => {
    const types = { T1: "tensor(int64)", T2: "tensor(float)", T3: "tensor(int32)" };
    expect(ortCpuSupport.check(query({ opType: "OneHot", sinceVersion: 11, types }))).toEqual({
      supported: true,
    });
  });

  it("refuses batchwise (layout = 1) RNN, GRU and LSTM, from the kernel attribute rules", () => {
    for (const opType of ["RNN", "GRU", "LSTM"]) {
      const q = query({ opType, sinceVersion: 22, opsetVersion: 22, types: { T: "tensor(float)" } });
      const a = ortCpuSupport.check({ ...q, attributes: { hidden_size: 4, layout: 1 } });
      expect(a, opType).toMatchObject({ supported: false });
      if (a.supported) continue;
      expect(a.reason).toContain(`ai.onnx::${opType}-22 refuses layout = 1`);
      expect(a.hint).toMatch(/layout = 0/);
      expect(ortCpuSupport.check({ ...q, attributes: { layout: 0 } })).toEqual({ supported: true });
      expect(ortCpuSupport.check(q)).toEqual({ supported: true });
    }
  });

  it("warns that StringNormalizer's case handling needs the locale installed on the host", () => {
    const q = query({ opType: "StringNormalizer", sinceVersion: 10, types: {} });
    const a = ortCpuSupport.check({
      ...q,
      attributes: { case_change_action: "UPPER", is_case_sensitive: 1 },
    });
    expect(a.supported).toBe(true);
    if (!a.supported) return;
    expect(a.warning?.reason).toMatch(/StringNormalizer-10 needs the locale "en_US\.UTF-8"/);
    expect(a.warning?.hint).toMatch(/locale-gen en_US\.UTF-8/);
    expect(
      ortCpuSupport.check({ ...q, attributes: { case_change_action: "UPPER", locale: "de_DE.UTF-8" } }),
    ).toMatchObject({ warning: { reason: expect.stringContaining('"de_DE.UTF-8"') as unknown } });
    // No case change, case-sensitive stopwords, or a locale every host has: nothing to warn about.
    expect(ortCpuSupport.check({ ...q, attributes: { is_case_sensitive: 1, stopwords: ["a"] } })).toEqual({
      supported: true,
    });
    expect(ortCpuSupport.check({ ...q, attributes: { case_change_action: "LOWER", locale: "C" } })).toEqual({
      supported: true,
    });
  });

  it("refuses graph inputs and outputs whose tensor type onnxruntime-node cannot pass", () => {
    const input = ortCpuSupport.checkGraphIo!("input", "x", "tensor(bfloat16)");
    expect(input).toMatchObject({ supported: false });
    if (input.supported) return;
    expect(input.reason).toBe(
      'graph input "x" is tensor(bfloat16), which onnxruntime-node 1.30.0 (CPU) cannot pass from JavaScript: creating the session fails',
    );
    expect(input.hint).toMatch(/declare "x" as tensor\(float\) and add a Cast to tensor\(bfloat16\)/);
    const output = ortCpuSupport.checkGraphIo!("output", "y", "tensor(int2)");
    expect(output).toMatchObject({ supported: false });
    if (!output.supported) expect(output.hint).toMatch(/Cast to tensor\(int8\) before "y"/);
    // No Cast kernel to route through: the hint lists the types that do pass.
    const fp4 = ortCpuSupport.checkGraphIo!("input", "x", "tensor(float4e2m1)");
    if (!fp4.supported) expect(fp4.hint).toMatch(/^change the model's input to a type .*tensor\(float\)/);
    expect(fp4.supported).toBe(false);
    expect(ortCpuSupport.checkGraphIo!("input", "x", "tensor(float)")).toEqual({ supported: true });
    expect(ortCpuSupport.checkGraphIo!("output", "y", "seq(tensor(bfloat16))")).toEqual({ supported: true });
  });

  it("ort-cuda delegates to the CPU table and says so", () => {
    expect(ortCudaSupport.description).toMatch(/CUDA coverage not probed/);
    expect(ortCudaSupport.maxIrVersion).toBe(ortCpuSupport.maxIrVersion);
    const q = query({ opType: "Add", sinceVersion: 14, types: { T: "tensor(float)" } });
    expect(ortCudaSupport.check(q)).toEqual(ortCpuSupport.check(q));
  });
});

describe("createOrtSupport on a synthetic table", () => {
  const synthetic: OrtSupportTable = {
    onnxruntime: "0.0.0",
    probedAt: "2000-01-01",
    maxIrVersion: 10,
    maxOpset: { "": 20 },
    ops: {
      "::Pair::1": {
        typeParams: ["A", "B"],
        supported: [
          ["tensor(float)", "tensor(float)"],
          ["tensor(int8)", "tensor(float)"],
          ["tensor(float)", "tensor(int64)"],
        ],
        exhaustive: false,
      },
      "::Odd::1": {
        typeParams: ["T"],
        supported: [["tensor(float)"]],
        inconclusive: [{ types: ["tensor(double)"], reason: "shape inference" }],
      },
    },
  };
  const s = createOrtSupport(synthetic, { id: "t", description: "t", runtime: "rt" });
  const check = (opType: string, types: Record<string, string>) =>
    s.check(query({ opType, sinceVersion: 1, types }));

  it("accepts a non-exhaustive table's tuple when each type was seen on its own", () => {
    expect(check("Pair", { A: "tensor(int8)", B: "tensor(int64)" })).toEqual({ supported: true });
    expect(check("Pair", { A: "tensor(uint8)", B: "tensor(float)" }).supported).toBe(false);
  });

  it("accepts every graph I/O type when the table has no ioTypes", () => {
    expect(s.checkGraphIo!("input", "x", "tensor(bfloat16)")).toEqual({ supported: true });
  });

  it("gives inconclusive tuples the benefit of the doubt", () => {
    expect(check("Odd", { T: "tensor(double)" })).toEqual({ supported: true });
    expect(check("Odd", { T: "tensor(int8)" }).supported).toBe(false);
  });
});
