/** Text rendering of an inspect summary. */
import type { ModelSummary } from "./summary.js";
import { formatShape } from "../ir/types.js";
import { formatBytes } from "../format-bytes.js";
import { printable } from "../printable.js";

export function formatCount(n: number): string {
  if (n < 1e3) return String(n);
  if (n < 1e6) return `${(n / 1e3).toFixed(1)}K`;
  if (n < 1e9) return `${(n / 1e6).toFixed(2)}M`;
  return `${(n / 1e9).toFixed(2)}B`;
}

function table(rows: string[][], indent = "  "): string[] {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => r[c]?.length ?? 0))) ?? [];
  return rows.map(
    (r) =>
      indent +
      r
        .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c])))
        .join("  ")
        .trimEnd(),
  );
}

/** The doc string's first line in at most 100 characters; "…" says that more was cut (text or lines). */
export function docLine(doc: string): string {
  const lines = doc.trim().split("\n");
  const first = lines[0].trimEnd();
  if (first.length > 100) return first.slice(0, 99) + "…";
  return lines.length > 1 ? first + " …" : first;
}

export function renderSummary(s: ModelSummary): string {
  const out: string[] = [];
  const ext = s.externalFiles.reduce((a, f) => a + f.bytes, 0);
  out.push(`${s.path}`);
  out.push(
    `  producer     ${s.producer.name || "(unknown)"}${s.producer.version ? " " + s.producer.version : ""}`,
  );
  out.push(`  IR version   ${s.irVersion}`);
  out.push(`  opsets       ${s.opsets.map((o) => `${o.domain} ${o.version}`).join(", ") || "(none)"}`);
  out.push(`  size         ${formatBytes(s.protoBytes)}${ext ? ` + ${formatBytes(ext)} external data` : ""}`);
  if (s.modelVersion) out.push(`  version      ${s.modelVersion}`);
  if (s.domain) out.push(`  domain       ${s.domain}`);
  if (s.docString) out.push(`  doc          ${docLine(s.docString)}`);
  const ioRows = (list: ModelSummary["inputs"]) =>
    table(
      list.map((v) => [v.name, v.type ?? "?", v.shape ? formatShape(v.shape) : "(rank unknown)"]),
      "    ",
    );
  out.push("", `Inputs (${s.inputs.length})`, ...ioRows(s.inputs));
  out.push("", `Outputs (${s.outputs.length})`, ...ioRows(s.outputs));
  out.push(
    "",
    `Ops: ${s.nodeCount} nodes, ${s.ops.length} op types${s.subgraphCount ? `, ${s.subgraphCount} subgraphs` : ""}`,
  );
  out.push(
    ...table(
      s.ops.map((o) => [o.domain ? `${o.domain}::${o.op}` : o.op, String(o.count)]),
      "    ",
    ),
  );
  const p = s.parameters;
  out.push(
    "",
    `Parameters: ${formatCount(p.count)} in ${p.tensors} tensors, ${formatBytes(p.bytes)}${p.inConstantNodes ? ` (${p.inConstantNodes} tensors in Constant nodes)` : ""}`,
  );
  out.push(
    ...table(
      p.byDtype.map((d) => [d.dtype, formatCount(d.count), formatBytes(d.bytes), `${d.tensors} tensors`]),
      "    ",
    ),
  );
  if (s.externalFiles.length) {
    out.push("", "External data files");
    out.push(
      ...table(
        s.externalFiles.map((f) => [f.location, formatBytes(f.bytes)]),
        "    ",
      ),
    );
  }
  if (s.metadata.length) {
    out.push("", "Metadata");
    out.push(
      ...table(
        s.metadata.map((m) => [m.key, m.value.length > 80 ? m.value.slice(0, 77) + "..." : m.value]),
        "    ",
      ),
    );
  }
  if (s.functions.length) out.push("", `Local functions: ${s.functions.join(", ")}`);
  // Each entry is one line; model strings inside it must not break it or reach the terminal raw.
  return out.map(printable).join("\n");
}
