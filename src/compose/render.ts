/** Text rendering of a compose report. */
import path from "node:path";
import type { ComposeReport } from "./compose.js";

export function renderComposeReport(r: ComposeReport): string {
  const lines = [
    `pieces: ${r.pieces.map((p) => p.id).join(" -> ")}`,
    ...r.connections.map((c) => `  connect ${c}`),
    `opset ${r.opset}, IR version ${r.irVersion}${r.raised.length ? ` (raised ${r.raised.join("; ")})` : ""}`,
    `inputs: ${r.inputs.join(", ")}`,
    `outputs: ${r.outputs.join(", ")}`,
    `${r.nodes} nodes, ${r.initializers} initializers (${r.dedupedInitializers} duplicates stored once)`,
  ];
  if (r.output) {
    const size =
      r.bytes !== undefined
        ? ` (${r.bytes} bytes${r.dataBytes ? ` + ${r.dataBytes} bytes of external data` : ""})`
        : "";
    lines.push(`wrote ${path.relative(process.cwd(), r.output) || r.output}${size}`);
  }
  return lines.join("\n");
}
