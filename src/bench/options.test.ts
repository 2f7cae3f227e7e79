import { describe, expect, it } from "vitest";
import {
  parseGate,
  parseIntList,
  parseSample,
  parseShapes,
  parseThreads,
  parseThreshold,
  parseWarmup,
  thresholdWarning,
} from "./options.js";
import { fmtThreshold } from "./report/format.js";
import {
  checkShapeNames,
  hasSymbolicBatch,
  parseDims,
  randomFeeds,
  resolveShape,
  type InputSpec,
} from "./inputs.js";
import { parseNpy } from "./input-files.js";
import { parseCpuinfo, parseCpuMax, diffFingerprints, collectFingerprint } from "./fingerprint.js";
import { isStable, planRounds } from "./measure.js";
import { UsageError, UserError } from "../errors.js";
import { DT } from "../onnx/dtypes.js";
import fs from "node:fs";
import path from "node:path";
import { encodeModelProto } from "../onnx/proto.js";
import { makeChainModel } from "./fixtures.js";
import { tempDir } from "../../test/helpers/tmp.js";
import { runInProcess } from "../../test/helpers/cli.js";

describe("flag parsing", () => {
  it("lists, threads, warm-up, sampling, shapes, threshold, gate", () => {
    expect(parseIntList("--batch", "1,8,32,8")).toEqual([1, 8, 32]);
    expect(() => parseIntList("--batch", "1,x")).toThrow(UsageError);
    expect(parseThreads("4")).toEqual({ intra: 4 });
    expect(parseThreads("1,1")).toEqual({ intra: 1, inter: 1 });
    expect(() => parseThreads("0")).toThrow(/intra or intra,inter/);
    expect(parseWarmup("auto")).toEqual({ kind: "auto" });
    expect(parseWarmup("200")).toEqual({ kind: "calls", calls: 200 });
    expect(parseWarmup("2s")).toEqual({ kind: "time", ms: 2000 });
    expect(parseWarmup("500ms")).toEqual({ kind: "time", ms: 500 });
    expect(() => parseWarmup("soon")).toThrow(UsageError);
    expect(parseSample("100", undefined)).toEqual({ kind: "iterations", count: 100 });
    expect(parseSample(undefined, "1.5")).toEqual({ kind: "duration", ms: 1500 });
    expect(() => parseSample("1", "1")).toThrow(/cannot be used together/);
    expect(parseShapes(["x=1,3,224,224", "seq=128", "y=2x4"])).toEqual({
      x: [1, 3, 224, 224],
      seq: [128],
      y: [2, 4],
    });
    expect(() => parseShapes(["x"])).toThrow(/name=dims/);
    expect(parseThreshold("10")).toBeCloseTo(0.1);
    expect(parseThreshold("2.5%")).toBeCloseTo(0.025);
    expect(() => parseThreshold("0")).toThrow(UsageError);
    expect(parseThreshold("0.1")).toBeCloseTo(0.001); // still percent, as documented
    expect(fmtThreshold(parseThreshold("0.1"))).toBe("0.1%");
    expect(fmtThreshold(parseThreshold("10"))).toBe("10%");
    expect(fmtThreshold(parseThreshold("2.5%"))).toBe("2.5%");
    expect(thresholdWarning("0.1")).toBe("--threshold 0.1 means 0.1%; did you mean 10 (percent)?");
    expect(thresholdWarning("0.05")).toBe("--threshold 0.05 means 0.05%; did you mean 5 (percent)?");
    expect(thresholdWarning("0.5%")).toBeUndefined(); // the % says percent
    expect(thresholdWarning("10")).toBeUndefined();
    expect(parseGate("median,p95")).toEqual(["median", "p95"]);
    expect(() => parseGate("p50")).toThrow(/unknown metric p50/);
    expect(() => parseDims("1,,3")).toThrow(UsageError);
  });
});

describe("inputs", () => {
  it("--shape names must be an input or a symbolic dim: a typo is a usage error listing both", () => {
    const models = [
      { file: "m.onnx", specs: [{ name: "x", elemType: DT.FLOAT, shape: ["N", 3, "H", "W"] }] },
    ];
    expect(() => checkShapeNames(models, { x: [1, 3, 8, 8], H: [8] })).not.toThrow();
    try {
      checkShapeNames(models, { nope: [3] });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      expect((e as UsageError).message).toBe(
        '--shape nope=3: m.onnx has no input or symbolic dimension "nope"',
      );
      expect((e as UsageError).hint).toBe("its inputs: x [N, 3, H, W]; symbolic dims: N, H, W");
    }
  });

  it("mlpack bench --shape nope=3 exits 2 before measuring; --threshold 0.1 warns", async () => {
    const file = path.join(tempDir("mlpack-bench-shape-"), "chain.onnx");
    fs.writeFileSync(file, encodeModelProto(makeChainModel({ width: 8, layers: 1 })));
    const r = await runInProcess(["bench", file, "--shape", "nope=3", "--threshold", "0.1", "--quiet"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--shape nope=3: .*chain\.onnx has no input or symbolic dimension "nope"/);
    expect(r.stderr).toContain("warning: --threshold 0.1 means 0.1%; did you mean 10 (percent)?");
    expect(r.stderr).toMatch(/hint: its inputs: \S+ \[batch, 8\]; symbolic dims: batch/);
  });

  const img: InputSpec = { name: "x", elemType: DT.FLOAT, shape: ["N", 3, "H", "W"] };
  it("resolves symbolic dims from --batch and --shape, and says which flag is missing", () => {
    expect(resolveShape(img, 8, { H: [224], W: [224] })).toEqual([8, 3, 224, 224]);
    expect(resolveShape(img, 8, { x: [2, 3, 32, 32] })).toEqual([2, 3, 32, 32]);
    expect(() => resolveShape(img, 1, { H: [224] })).toThrow(UserError);
    try {
      resolveShape(img, 1, { H: [224] });
    } catch (e) {
      expect((e as UserError).message).toBe('input "x" [N, 3, H, W]: dimension 3 "W" is symbolic');
      expect((e as UserError).hint).toBe(
        "give it with --shape W=N, or the whole shape with --shape x=1,3,N,N",
      );
    }
    expect(() => resolveShape(img, 1, { x: [1, 4, 2, 2] })).toThrow(/dimension 1 is fixed to 3/);
    expect(() => resolveShape({ name: "r", elemType: DT.FLOAT, shape: null }, 1)).toThrow(/has no shape/);
    expect(hasSymbolicBatch([img])).toBe(true);
    expect(hasSymbolicBatch([{ ...img, shape: [1, 3] }])).toBe(false);
  });
  it("random feeds are seeded and typed", () => {
    const specs: InputSpec[] = [
      { name: "f", elemType: DT.FLOAT, shape: ["b", 4] },
      { name: "ids", elemType: DT.INT64, shape: ["b", 3] },
      { name: "m", elemType: DT.BOOL, shape: [2] },
      { name: "h", elemType: DT.FLOAT16, shape: [2] },
    ];
    const a = randomFeeds(specs, 2);
    expect(a.map((x) => [x.type, x.dims])).toEqual([
      ["float32", [2, 4]],
      ["int64", [2, 3]],
      ["bool", [2]],
      ["float16", [2]],
    ]);
    expect(a).toEqual(randomFeeds(specs, 2));
    for (const v of a[1].data as BigInt64Array) expect(v >= 0n && v < 10n).toBe(true);
    expect(() => randomFeeds([{ name: "c", elemType: DT.COMPLEX64, shape: [1] }], 1)).toThrow(/cannot feed/);
  });
  it("parses .npy files", () => {
    const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    const padded = header.padEnd(118, " ") + "\n"; // 10 + 118 = 128-byte aligned header
    const body = new Float32Array([1, 2, 3, 4, 5, 6]);
    const bytes = new Uint8Array(10 + padded.length + body.byteLength);
    bytes.set([
      0x93,
      ..."NUMPY".split("").map((c) => c.charCodeAt(0)),
      1,
      0,
      padded.length & 255,
      padded.length >> 8,
    ]);
    bytes.set(new TextEncoder().encode(padded), 10);
    bytes.set(new Uint8Array(body.buffer), 10 + padded.length);
    const t = parseNpy(bytes, "x.npy");
    expect(t).toMatchObject({ name: "x", type: "float32", dims: [2, 3] });
    expect(Array.from(t.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => parseNpy(new Uint8Array(20), "y.npy")).toThrow(/bad magic/);
  });
});

describe("fingerprint", () => {
  const cpuinfo = [0, 1]
    .map(
      (i) =>
        `processor\t: ${i}\nmodel name\t: AMD EPYC\nphysical id\t: 0\ncore id\t\t: ${i}\nflags\t\t: fpu sse4_2 avx avx2 fma avx512f avx512_vnni ht\n`,
    )
    .join("\n");
  it("parses /proc/cpuinfo and cgroup quotas", () => {
    expect(parseCpuinfo(cpuinfo)).toEqual({
      model: "AMD EPYC",
      logical: 2,
      physical: 2,
      flags: ["sse4_2", "avx", "fma", "avx2", "avx512f", "avx512_vnni"],
    });
    expect(parseCpuinfo("processor : 0\nFeatures : fp asimd asimddp sve\nCPU part : 0xd40\n").flags).toEqual([
      "asimd",
      "asimddp",
      "sve",
    ]);
    expect(parseCpuMax("max 100000")).toBeNull();
    expect(parseCpuMax("200000 100000")).toBe(2);
  });
  it("is stable for the same machine and reports what changed", () => {
    const src = {
      readFile: (p: string) => (p === "/proc/cpuinfo" ? cpuinfo : undefined),
      availableParallelism: () => 2,
    };
    const a = collectFingerprint(src);
    expect(collectFingerprint(src).id).toBe(a.id);
    expect(diffFingerprints(a, a)).toEqual([]);
    const b = collectFingerprint({ ...src, availableParallelism: () => 1 });
    expect(b.id).not.toBe(a.id);
    expect(diffFingerprints(a, b)).toEqual(["available cores: 2 → 1"]);
  });
});

describe("warm-up and rounds", () => {
  it("is stable when the last 3 window medians agree within 10%", () => {
    expect(isStable([5, 1.0, 1.05, 1.09])).toBe(true);
    expect(isStable([1.0, 1.2, 1.0])).toBe(false);
    expect(isStable([1, 1])).toBe(false);
  });
  it("plans rounds from the sampling time", () => {
    expect(planRounds({ kind: "duration", ms: 2000 })).toBe(200);
    expect(planRounds({ kind: "duration", ms: 100 })).toBe(20);
    expect(planRounds({ kind: "iterations", count: 10 })).toBe(10);
    expect(planRounds({ kind: "iterations", count: 1000 })).toBe(50);
    expect(planRounds({ kind: "duration", ms: 2000 }, 7)).toBe(7);
  });
});
