/** Markdown for a pull request comment or the GitHub Actions job summary. */
import { describeFingerprint } from "../fingerprint.js";
import type { Comparison, Verdict } from "../gate.js";
import type { BenchReport } from "../types.js";
import {
  compareMethod,
  fmtCi,
  fmtInterval,
  fmtMs,
  fmtPct,
  fmtRate,
  fmtValue,
  gateSummary,
} from "./format.js";
import { formatBytes } from "../../format-bytes.js";

const ICON: Record<Verdict, string> = {
  regressed: "🔴 regressed",
  improved: "🟢 improved",
  unchanged: "⚪ unchanged",
  inconclusive: "🟡 inconclusive",
};

/** Escapes the characters that break a table cell. */
const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
const row = (cells: string[]) => `| ${cells.map(cell).join(" | ")} |`;

export function renderMarkdown(report: BenchReport, comparison?: Comparison): string {
  const rt = report.runtime;
  const models = report.models.map((m) => m.label);
  const out: string[] = [
    `### mlpack bench: ${models.length > 1 ? `${models[1]} vs ${models[0]}` : models[0]}`,
    "",
  ];
  if (comparison) {
    const mark = comparison.advisory ? "⚠️" : comparison.failed ? "❌" : "✅";
    out.push(`**${mark} ${gateSummary(comparison)}**`, "");
    out.push(row(["batch", "concurrency", "metric", "baseline", "candidate", "change", "95% CI", "verdict"]));
    out.push("|---:|---:|---|---:|---:|---:|---|---|");
    for (const e of comparison.entries)
      out.push(
        row([
          String(e.batch),
          String(e.concurrency),
          e.gated ? `**${e.metric}**` : e.metric,
          fmtValue(e, e.baseline),
          fmtValue(e, e.candidate),
          fmtPct(e.ratio),
          fmtCi(e.ci, fmtPct),
          ICON[e.verdict],
        ]),
      );
    out.push(
      "",
      `Compared ${comparison.candidate.label} against ${comparison.baseline.label} by ${compareMethod(comparison)}; gated metrics in bold.`,
    );
    for (const d of comparison.fingerprintDifferences) out.push(`- hardware differs: ${d}`);
    for (const n of comparison.notes) out.push(`- note: ${n}`);
    out.push("");
  }
  out.push("<details><summary>Measurements</summary>", "");
  out.push(
    row([
      "model",
      "batch",
      "concurrency",
      "n",
      "median ms (95% CI)",
      "p90",
      "p95 (95% CI)",
      "p99",
      "mean ± sd",
      "MAD",
      "inferences/s",
      "samples/s",
    ]),
  );
  out.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const m of report.results) {
    const l = m.latency;
    out.push(
      row([
        m.model,
        String(m.batch),
        String(m.concurrency),
        String(l.count),
        fmtInterval(l.median, fmtMs),
        fmtMs(l.p90.value),
        fmtInterval(l.p95, fmtMs),
        fmtMs(l.p99.value),
        `${fmtMs(l.mean)} ± ${fmtMs(l.stddev)}`,
        fmtMs(l.mad),
        fmtRate(m.throughput.inferencesPerSec.value),
        fmtRate(m.throughput.samplesPerSec.value),
      ]),
    );
  }
  out.push(
    "",
    `${describeFingerprint(report.fingerprint)}, fingerprint \`${report.fingerprint.id}\` · onnxruntime ${rt.onnxruntime} (${rt.executionProviders.join(",")}, threads ${rt.intraOpThreads ?? "default"},${rt.interOpThreads ?? "default"}) · node ${rt.node} · peak RSS ${formatBytes(report.peakRssBytes)}`,
    "",
    "</details>",
  );
  if (report.warnings.length) out.push("", ...report.warnings.map((w) => `> ⚠️ ${w}`));
  return out.join("\n") + "\n";
}
