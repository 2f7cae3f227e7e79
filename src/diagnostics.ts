/** Diagnostics are collected, never thrown (DESIGN.md rule 4), then rendered by the CLI. */
import { printable } from "./printable.js";

export type Severity = "error" | "warning" | "info";

export interface DiagnosticNode {
  /** Node name, or `#<index>` when the node has none. */
  name: string;
  opType: string;
  domain: string;
  /** Path of graphs from the main graph: "main", "main/If_3:then_branch", ... */
  graph: string;
}

export interface Diagnostic {
  severity: Severity;
  /** Stable rule id, e.g. "unknown-op", "missing-attribute". Part of the --json schema. */
  code: string;
  message: string;
  node?: DiagnosticNode;
  /** A value, initializer or input name the diagnostic is about, when there is one. */
  value?: string;
  hint?: string;
}

export class DiagnosticBag {
  readonly items: Diagnostic[] = [];
  add(d: Diagnostic): void {
    this.items.push(d);
  }
  error(code: string, message: string, extra: Partial<Diagnostic> = {}): void {
    this.add({ severity: "error", code, message, ...extra });
  }
  warning(code: string, message: string, extra: Partial<Diagnostic> = {}): void {
    this.add({ severity: "warning", code, message, ...extra });
  }
  info(code: string, message: string, extra: Partial<Diagnostic> = {}): void {
    this.add({ severity: "info", code, message, ...extra });
  }
  get errorCount(): number {
    return this.items.filter((d) => d.severity === "error").length;
  }
  get warningCount(): number {
    return this.items.filter((d) => d.severity === "warning").length;
  }
}

export function describeNode(n: DiagnosticNode): string {
  const where = n.graph === "main" ? "" : ` in ${n.graph}`;
  const domain = n.domain && n.domain !== "ai.onnx" ? `${n.domain}::` : "";
  return `node "${n.name}" (${domain}${n.opType})${where}`;
}

export function formatDiagnostic(d: Diagnostic): string {
  // Messages quote node and value names from the model: escaped so each diagnostic stays its lines.
  const subject = d.node ? `${printable(describeNode(d.node))}: ` : "";
  const hint = d.hint ? `\n    hint: ${printable(d.hint)}` : "";
  return `${d.severity} [${d.code}] ${subject}${printable(d.message)}${hint}`;
}
