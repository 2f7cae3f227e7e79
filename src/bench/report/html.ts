/**
 * A self-contained HTML report: inline CSS and inline SVG charts (latency histograms, CDFs, per-round
 * medians) per configuration, the comparison and the environment. No scripts, fonts or other
 * resources are loaded, so it opens anywhere, offline, and can be kept as a CI artifact.
 */
import { describeFingerprint } from "../fingerprint.js";
import type { Comparison, Verdict } from "../gate.js";
import { median } from "../stats.js";
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
} from "./format.js";
import { formatBytes } from "../../format-bytes.js";
import { cdfSvg, histogramSvg, roundsSvg } from "./svg-charts.js";
import { groupByConfig } from "./text.js";

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];
const VERDICT_COLOR: Record<Verdict, string> = {
  regressed: "#c62828",
  improved: "#2e7d32",
  unchanged: "#555",
  inconclusive: "#b26a00",
};

const esc = (s: string) =>
  s.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&#39;" })[c]!);

function roundMedians(m: Measurement): number[] {
  const out: number[] = [];
  let i = 0;
  for (const size of m.roundSizes) {
    out.push(median(m.samplesMs.slice(i, i + size)));
    i += size;
  }
  return out;
}

function configSection(group: Measurement[]): string {
  const m0 = group[0];
  const title = `batch ${m0.batch}, concurrency ${m0.concurrency}`;
  const series = group.map((m, i) => ({
    label: m.model,
    color: COLORS[i % COLORS.length],
    values: m.samplesMs,
  }));
  const rows = group
    .map((m) => {
      const l = m.latency;
      return `<tr><td>${esc(m.model)}</td><td>${l.count}</td><td>${fmtMs(l.min)}</td><td>${esc(fmtInterval(l.median, fmtMs))}</td><td>${fmtMs(l.p90.value)}</td><td>${esc(fmtInterval(l.p95, fmtMs))}</td><td>${fmtMs(l.p99.value)}</td><td>${fmtMs(l.mean)} ± ${fmtMs(l.stddev)}</td><td>${fmtMs(l.mad)}</td><td>${l.outliers.tukeyLow + l.outliers.tukeyHigh} / ${l.outliers.mad}</td><td>${fmtRate(m.throughput.inferencesPerSec.value)}</td><td>${fmtRate(m.throughput.samplesPerSec.value)}</td><td>${m.warmup.calls}${m.warmup.stable ? "" : " (not stable)"}</td></tr>`;
    })
    .join("\n");
  return `<section class="config">
<h2>${esc(title)} <small>${m0.roundSizes.length} rounds</small></h2>
<table><thead><tr><th>model</th><th>n</th><th>min</th><th>median ms (95% CI)</th><th>p90</th><th>p95 (95% CI)</th><th>p99</th><th>mean ± sd</th><th>MAD</th><th>outliers Tukey / MAD</th><th>inferences/s</th><th>samples/s</th><th>warm-up calls</th></tr></thead>
<tbody>${rows}</tbody></table>
<div class="charts">
<figure>${histogramSvg(`latency histogram, ${title}`, series)}<figcaption>Latency histogram (0.5th–99.5th percentile; the tails are counted in the edge bins)</figcaption></figure>
<figure>${cdfSvg(`latency CDF, ${title}`, series)}<figcaption>Cumulative distribution of latency</figcaption></figure>
<figure>${roundsSvg(
    `median per round, ${title}`,
    group.map((m, i) => ({
      label: m.model,
      color: COLORS[i % COLORS.length],
      roundMedians: roundMedians(m),
    })),
  )}<figcaption>Median latency of each interleaved round (drift and interference show here)</figcaption></figure>
</div>
</section>`;
}

function comparisonSection(c: Comparison): string {
  const rows = c.entries
    .map(
      (e) =>
        `<tr><td>${e.batch}</td><td>${e.concurrency}</td><td>${e.gated ? `<b>${e.metric}</b>` : e.metric}</td><td>${esc(fmtValue(e, e.baseline))}</td><td>${esc(fmtValue(e, e.candidate))}</td><td>${fmtPct(e.ratio)}</td><td>${esc(fmtCi(e.ci, fmtPct))}</td><td class="verdict" style="color:${VERDICT_COLOR[e.verdict]}">${e.verdict}</td></tr>`,
    )
    .join("\n");
  const notes = [...c.fingerprintDifferences.map((d) => `hardware differs: ${d}`), ...c.notes]
    .map((n) => `<li>${esc(n)}</li>`)
    .join("");
  const cls = c.advisory ? "advisory" : c.failed ? "failed" : "passed";
  return `<section class="comparison">
<h2>Comparison: ${esc(c.candidate.label)} / ${esc(c.baseline.label)}</h2>
<p class="gate ${cls}">${esc(gateSummary(c))}</p>
<table><thead><tr><th>batch</th><th>concurrency</th><th>metric</th><th>baseline</th><th>candidate</th><th>change</th><th>95% CI</th><th>verdict</th></tr></thead>
<tbody>${rows}</tbody></table>
<p class="method">${esc(compareMethod(c))}; gated metrics in bold.</p>
${notes ? `<ul>${notes}</ul>` : ""}
</section>`;
}

export function renderHtml(report: BenchReport, comparison?: Comparison): string {
  const rt = report.runtime;
  const names = report.models.map((m) => m.label);
  const title = `mlpack bench: ${names.length > 1 ? `${names[1]} vs ${names[0]}` : names[0]}`;
  const env = [
    ["hardware", `${describeFingerprint(report.fingerprint)} · fingerprint ${report.fingerprint.id}`],
    [
      "runtime",
      `onnxruntime ${rt.onnxruntime} (${rt.executionProviders.join(", ")}), node ${rt.node}, mlpack ${rt.mlpack}`,
    ],
    [
      "session",
      `threads ${rt.intraOpThreads ?? "default"},${rt.interOpThreads ?? "default"}, optimization ${rt.graphOptimizationLevel}`,
    ],
    [
      "models",
      report.models.map((m) => `${m.label} (session creation ${fmtMs(m.sessionCreateMs)} ms)`).join("; "),
    ],
    [
      "settings",
      `warm-up ${report.settings.warmup}, sampling ${report.settings.sample} per model, inputs ${report.settings.inputs}`,
    ],
    ["memory", `peak RSS ${formatBytes(report.peakRssBytes)}`],
    ["measured", report.createdAt],
  ]
    .map(([k, v]) => `<tr><th>${k}</th><td>${esc(v)}</td></tr>`)
    .join("");
  const warnings = report.warnings.map((w) => `<li>${esc(w)}</li>`).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#222;max-width:1800px}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}.env th,.env td{text-align:left}.env th{background:#f6f6f6}
.charts{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0}figcaption{font-size:12px;color:#555;max-width:560px}
.gate{font-weight:600;padding:6px 10px;display:inline-block;border-radius:4px}.gate.failed{background:#fde0e0}
.gate.passed{background:#e3f4e3}.gate.advisory{background:#fff3d6}.warnings li{color:#8a5a00}small{color:#777;font-weight:normal}
</style></head>
<body>
<h1>${esc(title)}</h1>
<table class="env">${env}</table>
${warnings ? `<ul class="warnings">${warnings}</ul>` : ""}
${comparison ? comparisonSection(comparison) : ""}
${groupByConfig(report.results).map(configSection).join("\n")}
</body></html>
`;
}
