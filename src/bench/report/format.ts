/** Number and table formatting shared by the reporters (pure). */
import type { Comparison, ComparisonEntry, Verdict } from "../gate.js";
import type { Interval } from "../types.js";

export function fmtMs(x: number): string {
  if (!Number.isFinite(x)) return "–";
  if (x < 0.1) return x.toFixed(4);
  if (x < 1) return x.toFixed(3);
  if (x < 100) return x.toFixed(2);
  return x.toFixed(1);
}

export function fmtRate(x: number): string {
  if (!Number.isFinite(x)) return "–";
  return x >= 100 ? Math.round(x).toLocaleString("en-US") : x.toFixed(1);
}

/** "+24.8%" */
export function fmtPct(ratio: number): string {
  if (!Number.isFinite(ratio)) return "–";
  const p = (ratio - 1) * 100;
  return `${p >= 0 ? "+" : ""}${p.toFixed(1)}%`;
}

/** A --threshold fraction as the percent the user gave: 0.1 -> "10%", 0.001 -> "0.1%" (never rounded to 0). */
export function fmtThreshold(threshold: number): string {
  return `${Number((threshold * 100).toPrecision(6))}%`;
}

export function fmtCi(ci: [number, number] | null, f: (x: number) => string): string {
  return ci ? `${f(ci[0])} … ${f(ci[1])}` : "n/a";
}

export function fmtInterval(iv: Interval, f: (x: number) => string): string {
  return iv.ci ? `${f(iv.value)} (${f(iv.ci[0])}–${f(iv.ci[1])})` : f(iv.value);
}

/** Baseline/candidate values of an entry in its unit. */
export function fmtValue(e: ComparisonEntry, x: number): string {
  return e.metric === "throughput" ? `${fmtRate(x)}/s` : `${fmtMs(x)} ms`;
}

/** Plain-text table with aligned columns; `right` marks numeric columns. */
export function table(header: string[], rows: string[][], right: boolean[] = [], indent = "  "): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    indent +
    cells
      .map((c, i) => (right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

export function gateSummary(c: Comparison): string {
  const n = c.counts;
  const parts = (Object.keys(n) as Verdict[]).filter((v) => n[v] > 0).map((v) => `${n[v]} ${v}`);
  const what = parts.length ? parts.join(", ") : "nothing compared";
  if (c.advisory)
    return `gate: ADVISORY (${what}): the baseline was measured on different hardware; --strict makes it count`;
  return `gate (${c.gate.join(", ")}, ±${fmtThreshold(c.threshold)}): ${c.failed ? "FAILED" : "passed"} (${what})`;
}

export function compareMethod(c: Comparison): string {
  return c.mode === "interleaved"
    ? "interleaved A/B rounds, per-round ratios (paired bootstrap)"
    : "stored baseline (independent bootstrap over rounds)";
}
