import { describe, expect, it } from "vitest";
import { compareMeasurements } from "../gate.js";
import { toMeasurement } from "../summarize.js";
import { parseBaseline, toBaseline, reportToJson } from "../baseline.js";
import { renderGithub, renderHtml, renderJunit, renderMarkdown, renderText } from "./index.js";
import { seededRandom } from "../../onnx/random.js";
import type { BenchReport, Measurement } from "../types.js";
import type { Fingerprint } from "../fingerprint.js";

const fp: Fingerprint = {
  id: "abc",
  cpuModel: "Test CPU",
  logicalCores: 2,
  physicalCores: 2,
  availableParallelism: 2,
  cpuQuota: null,
  flags: ["avx2"],
  arch: "x64",
  platform: "linux",
  osRelease: "6",
  totalMemoryBytes: 1,
};

function fake(role: "baseline" | "candidate", model: string, ms: number, seed: number): Measurement {
  const rand = seededRandom(seed);
  const samplesMs = Array.from({ length: 300 }, () => ms * (1 + 0.02 * rand()));
  return toMeasurement(
    {
      samplesMs,
      roundSizes: new Array(30).fill(10),
      roundWallMs: new Array(30).fill(10 * ms),
      warmup: { calls: 5, ms: 1, windowMedians: [ms], stable: true },
    },
    { role, model, batch: 8, concurrency: 1 },
    { resamples: 200 },
  );
}

function makeReport(): BenchReport {
  return {
    schema: "mlpack-bench",
    schemaVersion: 1,
    createdAt: "2026-01-01T00:00:00.000Z",
    runtime: {
      mlpack: "0.1.0",
      onnxruntime: "1.30.0",
      node: "v20",
      device: "cpu",
      executionProviders: ["cpu"],
      intraOpThreads: 1,
      interOpThreads: 1,
      graphOptimizationLevel: "all",
    },
    fingerprint: fp,
    settings: { warmup: "auto", sample: "2s", inputs: "random", shapes: {}, rounds: 30, interleaved: true },
    models: [
      {
        role: "baseline",
        label: "float.onnx",
        path: "float.onnx",
        sha256: "1",
        bytes: 1,
        inputs: [],
        sessionCreateMs: 5,
      },
      {
        role: "candidate",
        label: "int8 <x>.onnx",
        path: "int8.onnx",
        sha256: "2",
        bytes: 1,
        inputs: [],
        sessionCreateMs: 4,
      },
    ],
    results: [fake("baseline", "float.onnx", 1, 1), fake("candidate", "int8 <x>.onnx", 1.3, 2)],
    peakRssBytes: 100 * 2 ** 20,
    warnings: ["a warning, with 100% honesty"],
  };
}

const report = makeReport();
const comparison = compareMeasurements([report.results[0]], [report.results[1]], {
  mode: "interleaved",
  baselineLabel: "float.onnx",
  baselineSource: "float.onnx",
  candidateLabel: "int8 <x>.onnx",
  baselineFingerprint: fp,
  candidateFingerprint: fp,
  resamples: 300,
});

describe("reporters", () => {
  it("text: a table per configuration and the verdicts", () => {
    const t = renderText(report, comparison);
    expect(t).toMatch(/batch 8, concurrency 1: 30 rounds/);
    expect(t).toMatch(/median\*\s+1\.0\d ms\s+1\.3\d ms\s+\+3\d\.\d%.*REGRESSED/);
    expect(t).toMatch(/gate \(median, ±10%\): FAILED \(1 regressed\)/);
  });
  it("markdown: gate line, verdict table, measurements", () => {
    const md = renderMarkdown(report, comparison);
    expect(md).toMatch(/^### mlpack bench: int8 <x>\.onnx vs float\.onnx/);
    expect(md).toMatch(/\*\*❌ gate \(median, ±10%\): FAILED/);
    expect(md).toMatch(
      /\| 8 \| 1 \| \*\*median\*\* \| 1\.0\d ms \| 1\.3\d ms \| \+3\d\.\d% \| .* \| 🔴 regressed \|/,
    );
    expect(md).toMatch(/<details><summary>Measurements<\/summary>/);
  });
  it("junit: a regression is a failed test case; ungated metrics are skipped; XML is escaped", () => {
    const x = renderJunit(report, comparison);
    expect(x).toMatch(/<testsuite name="mlpack bench" tests="3" failures="1" skipped="2" errors="0">/);
    expect(x).toMatch(
      /<testcase classname="mlpack\.bench\.int8 &lt;x&gt;\.onnx" name="batch 8, concurrency 1: median" time="0"><failure message="median/,
    );
    expect(x).not.toMatch(/<x>/);
    const plain = renderJunit(report);
    expect(plain).toMatch(/tests="2" failures="0"/);
  });
  it("github: ::error for a gated regression, escaped", () => {
    const g = renderGithub(report, comparison).split("\n");
    expect(g[0]).toBe("::warning title=mlpack bench::a warning, with 100%25 honesty");
    expect(
      g.some((l) =>
        /^::error title=int8 <x>\.onnx%3A median regressed \(batch 8%2C concurrency 1\)::median 1\.0\d ms → 1\.3\d ms: \+3\d\.\d%25/.test(
          l,
        ),
      ),
    ).toBe(true);
    expect(g.at(-1)).toMatch(/^::error title=mlpack bench gate::/);
  });
  it("html: self-contained, three charts per configuration", () => {
    const h = renderHtml(report, comparison);
    expect(h.match(/<svg class="chart/g)).toHaveLength(3);
    expect(h).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(h).toMatch(/int8 &lt;x&gt;\.onnx/);
  });
});

describe("baseline JSON", () => {
  it("round-trips and keeps only the candidate", () => {
    const b = parseBaseline(JSON.stringify(toBaseline(report)), "b.json");
    expect(b.results.map((r) => r.role)).toEqual(["candidate"]);
    expect(b.models.map((m) => m.label)).toEqual(["int8 <x>.onnx"]);
    const full = JSON.parse(reportToJson(report, comparison));
    expect(full.comparison.entries).toHaveLength(3);
    expect(parseBaseline(reportToJson(report, comparison), "r.json").results).toHaveLength(1);
  });
  it("says what is wrong with a bad file", () => {
    expect(() => parseBaseline("{", "b.json")).toThrow(
      /b\.json: not a usable mlpack bench baseline \(invalid JSON/,
    );
    expect(() => parseBaseline("{}", "b.json")).toThrow(/schema is undefined, expected "mlpack-bench"/);
    expect(() => parseBaseline(JSON.stringify({ ...report, schemaVersion: 2 }), "b.json")).toThrow(
      /newer than this mlpack reads/,
    );
    const broken = { ...report, results: [{ ...report.results[1], roundSizes: [1] }] };
    expect(() => parseBaseline(JSON.stringify(broken), "b.json")).toThrow(
      /roundSizes add up to 1, but there are 300 samples/,
    );
  });
});
