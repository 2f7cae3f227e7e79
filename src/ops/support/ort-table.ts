/**
 * The probed onnxruntime kernel table (src/ops/support/ort-cpu.json): its shape, how it is written
 * (deterministic, one op per line) and how a probe run turns into it. Written by
 * scripts/probe-ort-support.ts, read by ort-cpu.ts.
 */

export interface OrtOpEntry {
  /** Type parameters in schema order; each tuple below binds them positionally. */
  typeParams: string[];
  /** Type tuples a session was created for. Omitted when `unsupportedAll`. */
  supported?: string[][];
  /** Tuples whose probe could not tell (the synthetic model was rejected for another reason). */
  inconclusive?: { types: string[]; reason: string }[];
  /** No tuple is supported; `reason` says why (the first probe's label). */
  unsupportedAll?: true;
  reason?: string;
  /** False when only one type parameter varied at a time (cross product too large). */
  exhaustive?: false;
}

export interface OrtSupportTable {
  onnxruntime: string;
  probedAt: string;
  maxIrVersion: number;
  /** Highest opset the runtime loads per domain ("" = ai.onnx). */
  maxOpset: Record<string, number>;
  /**
   * Tensor types the runtime's API passes as main-graph inputs and outputs (probe-io.ts); types not
   * listed make session creation fail. Absent: not probed, every type passes.
   */
  ioTypes?: { input: string[]; output: string[] };
  /** "<domain>::<op>::<sinceVersion>" → entry. */
  ops: Record<string, OrtOpEntry>;
}

export function opKey(domain: string, opType: string, sinceVersion: number): string {
  return `${domain}::${opType}::${sinceVersion}`;
}

/** Code-unit order, so the file does not depend on the machine's locale. */
const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** JSON with sorted keys and one op per line, so regenerated tables diff readably. */
export function serializeTable(table: OrtSupportTable): string {
  const head = {
    onnxruntime: table.onnxruntime,
    probedAt: table.probedAt,
    maxIrVersion: table.maxIrVersion,
    maxOpset: Object.fromEntries(Object.entries(table.maxOpset).sort(([a], [b]) => byCodeUnit(a, b))),
  };
  const lines = Object.keys(table.ops)
    .sort(byCodeUnit)
    .map((k) => {
      const e = table.ops[k];
      const ordered: OrtOpEntry = { typeParams: e.typeParams };
      if (e.supported) ordered.supported = e.supported;
      if (e.inconclusive) ordered.inconclusive = e.inconclusive;
      if (e.unsupportedAll) ordered.unsupportedAll = true;
      if (e.reason) ordered.reason = e.reason;
      if (e.exhaustive === false) ordered.exhaustive = false;
      return `    ${JSON.stringify(k)}: ${JSON.stringify(ordered)}`;
    });
  let headText = JSON.stringify(head, null, 2).replace(/\n}$/, "");
  if (table.ioTypes) {
    const { input, output } = table.ioTypes;
    headText += `,\n  "ioTypes": {\n    "input": ${JSON.stringify(input)},\n    "output": ${JSON.stringify(output)}\n  }`;
  }
  return `${headText},\n  "ops": {\n${lines.join(",\n")}\n  }\n}\n`;
}
