/** Parsing of `mlpack bench` flag values (pure; every mistake is a UsageError that says the right form). */
import { UsageError } from "../errors.js";
import { COMPARE_METRICS, type CompareMetric } from "./gate.js";
import { parseDims } from "./inputs.js";
import type { SampleSpec, WarmupSpec } from "./types.js";

/** "1,8,32" → [1, 8, 32] (positive integers). */
export function parseIntList(flag: string, text: string): number[] {
  const parts = text.split(",").map((s) => s.trim());
  const xs = parts.map(Number);
  if (!parts.length || xs.some((x, i) => parts[i] === "" || !Number.isInteger(x) || x < 1))
    throw new UsageError(`${flag} ${text}: expected positive integers separated by commas`, {
      hint: `for example ${flag} 1,8,32`,
    });
  return [...new Set(xs)];
}

/** "4" (intra) or "4,1" (intra,inter). */
export function parseThreads(text: string): { intra: number; inter?: number } {
  const xs = text.split(",").map((s) => Number(s.trim()));
  if (xs.length > 2 || xs.some((x) => !Number.isInteger(x) || x < 1))
    throw new UsageError(`--threads ${text}: expected intra or intra,inter (positive integers)`, {
      hint: "for example --threads 1,1 (one intra-op and one inter-op thread per session)",
    });
  return { intra: xs[0], ...(xs.length === 2 ? { inter: xs[1] } : {}) };
}

/** "auto", "200" (calls), "2s" / "500ms" (time). */
export function parseWarmup(text: string): WarmupSpec {
  const t = text.trim().toLowerCase();
  if (t === "auto") return { kind: "auto" };
  if (/^\d+$/.test(t)) return { kind: "calls", calls: Number(t) };
  const ms = parseTime(t);
  if (ms !== undefined) return { kind: "time", ms };
  throw new UsageError(`--warmup ${text}: expected auto, a number of calls (200) or a time (2s, 500ms)`);
}

/** "2", "2s", "1.5s", "500ms" → milliseconds; a bare number is seconds. */
export function parseTime(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text.trim().toLowerCase());
  if (!m) return undefined;
  return Number(m[1]) * (m[2] === "ms" ? 1 : 1000);
}

export function parseSample(iterations?: string, duration?: string): SampleSpec | undefined {
  if (iterations !== undefined && duration !== undefined)
    throw new UsageError("--iterations and --duration cannot be used together", {
      hint: "give a number of inferences or a time per model, not both",
    });
  if (iterations !== undefined) {
    const n = Number(iterations);
    if (!Number.isInteger(n) || n < 1)
      throw new UsageError(`--iterations ${iterations}: expected a positive integer`);
    return { kind: "iterations", count: n };
  }
  if (duration !== undefined) {
    const ms = parseTime(duration);
    if (ms === undefined || ms <= 0)
      throw new UsageError(`--duration ${duration}: expected seconds (2, 1.5s) or milliseconds (500ms)`);
    return { kind: "duration", ms };
  }
  return undefined;
}

/** Repeated --shape name=dims → { name: dims }. */
export function parseShapes(values: readonly string[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const v of values) {
    const eq = v.indexOf("=");
    if (eq <= 0)
      throw new UsageError(`--shape ${v}: expected name=dims`, {
        hint: "an input's full shape (--shape input=1,3,224,224) or one symbolic dimension (--shape seq=128)",
      });
    out[v.slice(0, eq).trim()] = parseDims(v.slice(eq + 1));
  }
  return out;
}

/** "10" or "10%" → 0.1 (always a percentage). */
export function parseThreshold(text: string): number {
  const m = /^(\d+(?:\.\d+)?)%?$/.exec(text.trim());
  const pct = m ? Number(m[1]) : NaN;
  if (!(pct > 0 && pct < 100))
    throw new UsageError(`--threshold ${text}: expected a percentage between 0 and 100`, {
      hint: "for example --threshold 10 (or 10%): changes within ±10% do not fail the gate",
    });
  return pct / 100;
}

/**
 * A bare --threshold below 1 is most likely a fraction meant as a percentage (0.1 for 10%); it is
 * kept as the percent the README documents, with a warning. "0.5%" says percent and gets none.
 */
export function thresholdWarning(text: string): string | undefined {
  const t = text.trim();
  if (t.endsWith("%")) return undefined;
  const pct = Number(t);
  if (!(pct > 0 && pct < 1)) return undefined;
  return `--threshold ${t} means ${t}%; did you mean ${Number((pct * 100).toPrecision(6))} (percent)?`;
}

export function parseGate(text: string): CompareMetric[] {
  const xs = text.split(",").map((s) => s.trim());
  const bad = xs.filter((x) => !(COMPARE_METRICS as readonly string[]).includes(x));
  if (bad.length || !xs.length)
    throw new UsageError(`--gate ${text}: unknown metric ${bad.join(", ")}`, {
      hint: `choose from ${COMPARE_METRICS.join(", ")} (comma-separated)`,
    });
  return [...new Set(xs)] as CompareMetric[];
}
