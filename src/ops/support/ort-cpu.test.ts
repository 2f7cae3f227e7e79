import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { allSchemas, schemaVersions } from "../schema/registry.js";
import { createOrtSupport, loadOrtTable, ortCpuSupport, ortCudaSupport } from "./ort-cpu.js";
import { opKey, serializeTable, type OrtSupportTable } from "./ort-table.js";
import { ortSessionFactory, probeOne, probeSignature, typeBindings, PROBE_TUPLE_LIMIT } from "./probe.js";
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

  it("gives inconclusive tuples the benefit of the doubt", () => {
    expect(check("Odd", { T: "tensor(double)" })).toEqual({ supported: true });
    expect(check("Odd", { T: "tensor(int8)" }).supported).toBe(false);
  });
});
