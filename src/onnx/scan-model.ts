/**
 * What `mlpack predict` needs to know of a small model before it starts its workers, read straight
 * from the protobuf wire format: its graph inputs' ranks, initializer names, the op types of every
 * node (subgraphs included) and the external data files it names.
 *
 * Hand-written for start-up time: importing the generated ONNX schema (onnx-buf and @bufbuild/protobuf,
 * proto.ts) takes ~100-130 ms, a tenth of a whole predict run on a 1M-row file, for a handful of
 * fields. Iterative (a stack, no recursion), so hostile nesting cannot overflow; anything malformed
 * throws, and the caller keeps onnxruntime's defaults (the worker's session reports the error).
 */

export interface ModelScan {
  /** Graph inputs (not initializers) with their rank; undefined rank: not a tensor with a shape. */
  inputs: { name: string; rank?: number }[];
  initializers: Set<string>;
  /** Op types of every node, subgraphs included. */
  ops: Set<string>;
  /** The `location` of every initializer stored in an external data file. */
  externalFiles: Set<string>;
}

class Wire {
  constructor(
    readonly b: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {}

  more(): boolean {
    return this.pos < this.end;
  }

  varint(): number {
    let v = 0;
    for (let shift = 1; ; shift *= 128) {
      if (this.pos >= this.end || shift > 2 ** 63) throw new Error("protobuf: truncated varint");
      const x = this.b[this.pos++];
      v += (x & 0x7f) * shift;
      if ((x & 0x80) === 0) return v;
    }
  }

  /** The next field: its number, wire type and, for length-delimited ones, where its bytes lie. */
  field(): { id: number; type: number; start: number; stop: number; value: number } {
    const key = this.varint();
    const id = Math.floor(key / 8);
    const type = key % 8;
    let value = 0;
    let start = this.pos;
    if (type === 0) value = this.varint();
    else if (type === 1) this.pos += 8;
    else if (type === 5) this.pos += 4;
    else if (type === 2) {
      const n = this.varint();
      start = this.pos;
      this.pos += n;
    } else throw new Error(`protobuf: wire type ${type}`);
    if (this.pos > this.end) throw new Error("protobuf: field past the end");
    return { id, type, start, stop: this.pos, value };
  }

  text(start: number, stop: number): string {
    return Buffer.from(this.b.buffer, this.b.byteOffset + start, stop - start).toString("utf8");
  }
}

/** Fields of the message at [start, stop) with number `id` and wire type 2, as [start, stop) pairs. */
function children(w: Wire, start: number, stop: number, id: number): [number, number][] {
  const r = new Wire(w.b, start, stop);
  const out: [number, number][] = [];
  while (r.more()) {
    const f = r.field();
    if (f.id === id && f.type === 2) out.push([f.start, f.stop]);
  }
  return out;
}

function stringField(w: Wire, start: number, stop: number, id: number): string | undefined {
  const [s] = children(w, start, stop, id);
  return s ? w.text(s[0], s[1]) : undefined;
}

/** Reads a serialized ModelProto's inputs, initializers, op types and external data files. */
export function scanModel(bytes: Uint8Array): ModelScan {
  const w = new Wire(bytes, 0, bytes.length);
  const [graph] = children(w, 0, bytes.length, 7); // ModelProto.graph
  if (!graph) throw new Error("protobuf: no graph");
  const scan: ModelScan = { inputs: [], initializers: new Set(), ops: new Set(), externalFiles: new Set() };
  // GraphProto: initializer 5, input 11
  for (const [s, e] of children(w, graph[0], graph[1], 5)) {
    const name = stringField(w, s, e, 8) ?? "";
    scan.initializers.add(name);
    const t = new Wire(bytes, s, e);
    let external = false;
    const entries: [number, number][] = [];
    while (t.more()) {
      const f = t.field();
      if (f.id === 14 && f.type === 0 && f.value === 1) external = true; // data_location EXTERNAL
      if (f.id === 13 && f.type === 2) entries.push([f.start, f.stop]); // external_data
    }
    if (!external) continue;
    for (const [a, b] of entries)
      if (stringField(w, a, b, 1) === "location") scan.externalFiles.add(stringField(w, a, b, 2) ?? "");
  }
  for (const [s, e] of children(w, graph[0], graph[1], 11)) {
    const name = stringField(w, s, e, 1) ?? "";
    if (scan.initializers.has(name)) continue;
    const [type] = children(w, s, e, 2); // ValueInfoProto.type
    const [tensor] = type ? children(w, type[0], type[1], 1) : []; // TypeProto.tensor_type
    const [shape] = tensor ? children(w, tensor[0], tensor[1], 2) : []; // Tensor.shape
    scan.inputs.push({ name, ...(shape ? { rank: children(w, shape[0], shape[1], 1).length } : {}) });
  }
  // Every graph's nodes (NodeProto: op_type 4, attribute 5; AttributeProto: g 6, graphs 11).
  const graphs: [number, number][] = [graph];
  for (let g = graphs.pop(); g; g = graphs.pop())
    for (const [s, e] of children(w, g[0], g[1], 1)) {
      scan.ops.add(stringField(w, s, e, 4) ?? "");
      for (const [a, b] of children(w, s, e, 5))
        graphs.push(...children(w, a, b, 6), ...children(w, a, b, 11));
    }
  return scan;
}
