/** The human-readable report: one table per configuration, then the comparison. */
import { describeFingerprint } from "../fingerprint.js";
import type { Comparison } from "../gate.js";
import type { BenchReport, Measurement } from "../types.js";
import {
  compareMethod,
  fmtCi,
  fmtInterval,
  fmtMs,
  fmtPct,
  fmtRate,
  fmtValue,
  gateSummary,
  table,
} from "./format.js";
import { formatBytes } from "../../format-bytes.js";

export function header(report: BenchReport): string[] {
  const rt = report.runtime;
  const models = report.models.map((m) => m.label);
  const threads = `threads ${rt.intraOpThreads ?? "default"},${rt.interOpThreads ?? "default"}`;
  return [
    `mlpack bench: ${models.length > 1 ? `${models[1]} vs ${models[0]} (interleaved A/B)` : models[0]}`,
    `  ${describeFingerprint(report.fingerprint)} · fingerprint ${report.fingerprint.id}`,
    `  onnxruntime ${rt.onnxruntime} · node ${rt.node} · ${rt.executionProviders.join(",")} · ${threads} · optimization ${rt.graphOptimizationLevel}`,
    `  session creation ${report.models.map((m) => `${m.label} ${fmtMs(m.sessionCreateMs)} ms`).join(", ")} · peak RSS ${formatBytes(report.peakRssBytes)}`,
    `  warm-up ${report.settings.warmup} · sampling ${report.settings.sample} per model · inputs ${report.settings.inputs}`,
  ];
}

function configs(results: Measurement[]): Measurement[][] {
  const groups = new Map<string, Measurement[]>();
  for (const r of results) {
    const k = `${r.batch}/${r.concurrency}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups.values()];
}

export function measurementTable(group: Measurement[]): string[] {
  const m0 = group[0];
  const warm = group
    .map((m) => `${m.warmup.calls} calls${m.warmup.stable ? "" : " (not stable)"}`)
    .join(" / ");
  const head = `batch ${m0.batch}, concurrency ${m0.concurrency}: ${m0.roundSizes.length} rounds, warm-up ${warm}`;
  const rows = group.map((m) => {
    const l = m.latency;
    const o = l.outliers;
    return [
      m.model,
      String(l.count),
      fmtMs(l.min),
      fmtInterval(l.median, fmtMs),
      fmtMs(l.p90.value),
      fmtInterval(l.p95, fmtMs),
      fmtMs(l.p99.value),
      `${fmtMs(l.mean)} ± ${fmtMs(l.stddev)}`,
      fmtMs(l.mad),
      `${o.tukeyLow + o.tukeyHigh} (${o.tukeySevere} severe) / ${o.mad}`,
      fmtRate(m.throughput.inferencesPerSec.value),
      fmtRate(m.throughput.samplesPerSec.value),
    ];
  });
  const cols = [
    "model",
    "n",
    "min",
    "median (95% CI)",
    "p90",
    "p95 (95% CI)",
    "p99",
    "mean ± sd",
    "MAD",
    "outliers Tukey/MAD",
    "inf/s",
    "samples/s",
  ];
  return [
    head,
    ...table(cols, rows, [false, true, true, true, true, true, true, true, true, true, true, true]),
  ];
}

export function comparisonLines(c: Comparison): string[] {
  const rows = c.entries.map((e) => [
    String(e.batch),
    String(e.concurrency),
    e.metric + (e.gated ? "*" : ""),
    fmtValue(e, e.baseline),
    fmtValue(e, e.candidate),
    fmtPct(e.ratio),
    fmtCi(e.ci, fmtPct),
    e.verdict === "regressed" ? "REGRESSED" : e.verdict,
  ]);
  return [
    `comparison: ${c.candidate.label} / ${c.baseline.label} (${compareMethod(c)}; * = gated)`,
    ...table(["batch", "conc", "metric", "baseline", "candidate", "change", "95% CI", "verdict"], rows, [
      true,
      true,
      false,
      true,
      true,
      true,
      true,
      false,
    ]),
    ...c.fingerprintDifferences.map((d) => `  hardware differs: ${d}`),
    ...c.notes.map((n) => `  note: ${n}`),
    gateSummary(c),
  ];
}

export function renderText(report: BenchReport, comparison?: Comparison): string {
  const lines = [...header(report), ""];
  for (const g of configs(report.results)) lines.push(...measurementTable(g), "");
  if (comparison) lines.push(...comparisonLines(comparison));
  else lines.push("latency in ms; CIs are 95% bootstrap intervals over interleaved rounds");
  return lines.join("\n");
}

export { configs as groupByConfig };
