/**
 * GitHub Actions workflow commands: an ::error annotation per gated regression, ::warning for
 * inconclusive or advisory results, ::notice for improvements.
 * https://docs.github.com/actions/reference/workflow-commands-for-github-actions
 */
import type { Comparison } from "../gate.js";
import { printable } from "../../printable.js";
import type { BenchReport } from "../types.js";
import { fmtCi, fmtPct, fmtValue, gateSummary, fmtThreshold } from "./format.js";

/**
 * Workflow-command data escaping (%, CR, LF; and : , in properties), then the remaining control
 * characters made visible, so a label cannot end the command or colour the log.
 */
export function escapeData(s: string): string {
  return printable(s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A"));
}
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");

export function renderGithub(report: BenchReport, comparison?: Comparison): string {
  const lines: string[] = [];
  const cmd = (kind: "error" | "warning" | "notice", title: string, msg: string) =>
    lines.push(`::${kind} title=${escapeProperty(title)}::${escapeData(msg)}`);
  for (const w of report.warnings) cmd("warning", "mlpack bench", w);
  if (!comparison) return lines.join("\n");
  for (const e of comparison.entries) {
    const title = `${comparison.candidate.label}: ${e.metric} ${e.verdict} (batch ${e.batch}, concurrency ${e.concurrency})`;
    const msg = `${e.metric} ${fmtValue(e, e.baseline)} → ${fmtValue(e, e.candidate)}: ${fmtPct(e.ratio)} (95% CI ${fmtCi(e.ci, fmtPct)}), threshold ±${fmtThreshold(comparison.threshold)}`;
    if (e.verdict === "regressed" && e.gated) cmd(comparison.advisory ? "warning" : "error", title, msg);
    else if (e.verdict === "inconclusive" && e.gated)
      cmd(comparison.failOnInconclusive ? "error" : "warning", title, msg);
    else if (e.verdict === "improved" && e.gated) cmd("notice", title, msg);
  }
  for (const d of comparison.fingerprintDifferences) cmd("warning", "mlpack bench: different hardware", d);
  cmd(comparison.failed ? "error" : "notice", "mlpack bench gate", gateSummary(comparison));
  return lines.join("\n");
}
