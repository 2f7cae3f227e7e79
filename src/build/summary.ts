/**
 * OUTPUT/mlpack-summary.md: the build as Markdown for a CI job summary or a PR comment — the steps
 * with their results, the artifacts, and the benchmark's own Markdown report when one ran.
 */
import type { BuildManifest } from "./types.js";
import { fmtMiB as mib } from "./events.js";

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

export function renderBuildSummary(m: BuildManifest, benchMarkdown?: string): string {
  const out = [
    `## mlpack build: ${m.model.name} ${m.model.version} — ${m.status === "ok" ? "passed" : "**failed**"}`,
    "",
  ];
  if (m.error) out.push(`> ${cell(m.error.message.split("\n")[0])} (exit ${m.error.exitCode})`, "");
  out.push("| step | status | time | result |", "|---|---|---:|---|");
  for (const s of m.steps)
    out.push(`| ${s.step} | ${s.status} | ${(s.ms / 1000).toFixed(1)} s | ${cell(s.summary)} |`);
  if (m.artifacts.length) {
    out.push("", "| target | artifact | size | digest / sha256 |", "|---|---|---:|---|");
    for (const a of m.artifacts)
      out.push(
        `| ${a.target} | \`${cell(a.ref ?? a.path)}\` | ${mib(a.bytes)} | \`${a.digest ?? (a.sha256 ? `sha256:${a.sha256}` : "")}\` |`,
      );
  }
  if (benchMarkdown) out.push("", benchMarkdown.trim());
  return out.join("\n") + "\n";
}
