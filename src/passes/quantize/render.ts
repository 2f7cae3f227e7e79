/** Text rendering of a quantization report. */
import type { QuantizeReport } from "./quantize.js";
import { formatBytes } from "../../format-bytes.js";

const fmt = (x: number, digits = 4) => (Number.isFinite(x) ? x.toFixed(digits) : String(x));

export function renderQuantizeReport(r: QuantizeReport): string {
  const out: string[] = [];
  out.push(`${r.input} -> ${r.output} (${r.mode}${r.options.perChannel ? ", per-channel" : ""})`);
  for (const w of r.warnings) out.push(`  warning: ${w}`);
  if (r.written)
    out.push(
      `  size       ${formatBytes(r.size.before)} -> ${formatBytes(r.size.after)} (${fmt(r.size.ratio, 3)}x)`,
    );
  out.push(
    `  layers     ${r.quantizedLayers} quantized, ${r.layers.length - r.quantizedLayers} kept in float`,
  );
  out.push(
    "",
    `Accuracy against the float model (${r.accuracy.samples} ${r.accuracy.randomInputs ? "random" : ""} samples):`,
  );
  out.push(
    `  ${"output".padEnd(20)} ${"max |err|".padStart(10)} ${"mean |err|".padStart(11)} ${"cosine".padStart(9)} ${"SQNR dB".padStart(8)} ${"top-1".padStart(7)}`,
  );
  for (const o of r.accuracy.outputs) {
    out.push(
      `  ${o.output.padEnd(20)} ${fmt(o.maxAbsError).padStart(10)} ${fmt(o.meanAbsError, 5).padStart(11)} ${fmt(o.cosine, 5).padStart(9)} ${fmt(o.sqnrDb, 1).padStart(8)} ${(o.top1Agreement === undefined ? "-" : (100 * o.top1Agreement).toFixed(1) + "%").padStart(7)}`,
    );
  }
  out.push(`  accuracy drop (max of 1-cosine, 1-top1): ${fmt(r.accuracy.drop, 5)}`);
  if (!r.accuracy.evidence)
    out.push(
      `  NOT EVIDENCE: ${r.accuracy.notEvidence.join("; ")}; this figure says nothing about real inputs (give real samples with --eval)`,
    );
  if (r.sensitive.length) {
    out.push("", "Layers feeding numerically sensitive ops:");
    for (const l of r.sensitive)
      out.push(
        `  ${l.node} -> ${l.feeds}: ${l.keptFloat ? "kept in float" : "quantized"}${l.drop === undefined ? "" : ` (drop alone ${fmt(l.drop, 5)})`}`,
      );
  }
  out.push("", "Layers:");
  for (const l of r.layers) {
    const sq = l.weightSqnr === undefined ? "" : `  weight SQNR ${fmt(l.weightSqnr, 1)} dB`;
    out.push(`  ${l.status === "quantized" ? "q" : "-"} ${l.node} (${l.opType}) ${l.detail}${sq}`);
  }
  if (r.perLayer) {
    out.push("", "Per-layer effect (only that layer quantized), most sensitive first:");
    for (const e of r.perLayer)
      out.push(`  ${e.node.padEnd(30)} drop ${fmt(e.drop, 5)}  cosine ${fmt(e.cosine, 5)}`);
  }
  if (r.autoExcluded?.length) out.push("", `Kept in float by --auto-exclude: ${r.autoExcluded.join(", ")}`);
  const ops = (m: Record<string, number>) =>
    Object.entries(m)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
  out.push("", `Ops before: ${ops(r.ops.before)}`, `Ops after:  ${ops(r.ops.after)}`);
  if (r.gate)
    out.push(
      "",
      `Gate: accuracy drop ${fmt(r.accuracy.drop, 5)} ${r.gate.passed ? "<=" : ">"} ${r.gate.maxAccuracyDrop}: ${r.gate.passed ? "passed" : "FAILED (model not written)"}${r.gate.allowRandomGate ? " (on inputs that are not evidence: --allow-random-gate)" : ""}`,
    );
  out.push(
    `Timings (ms): ${Object.entries(r.timings)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
  );
  return out.join("\n");
}
