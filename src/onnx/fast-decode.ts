/**
 * A lean decoder for the part of a ModelProto that grows with the graph: the main graph's nodes and
 * their plain attributes. The generic @bufbuild/protobuf reader allocates per field (a [field, wire]
 * pair, an unknown-field list per message, a create() walk over every member) and a 16-slot backing
 * store for each list it pushes to; on a million-node graph that garbage, and the collector's work
 * on it, was most of the decoding time. Every other field is read by @bufbuild/protobuf itself
 * (mergeFromBinary on the bytes of those fields, with the recursion limit it would have there).
 *
 * The result must equal fromBinary(ModelProtoSchema, bytes) exactly (same prototypes, own
 * properties, property order, values). Anything this decoder is not sure about (a field with an
 * unexpected wire type, an unknown enum value, a repeated singular message, malformed bytes, any
 * error) makes it give up: the caller then decodes with fromBinary, which also words the errors.
 */
import { create, mergeFromBinary, fromBinary, ScalarType } from "@bufbuild/protobuf";
import { BinaryReader, WireType, getTextEncoding } from "@bufbuild/protobuf/wire";
import {
  ModelProtoSchema,
  GraphProtoSchema,
  NodeProtoSchema,
  AttributeProtoSchema,
  type ModelProto,
  type GraphProto,
  type NodeProto,
  type AttributeProto,
} from "onnx-buf";

/** fromBinary's default: a message nested deeper than this is an error. */
const RECURSION_LIMIT = 100;
// Depth of each message as fromBinary counts it (the model is 1).
const GRAPH_DEPTH = 2;
const NODE_DEPTH = 3;
const ATTRIBUTE_DEPTH = 4;

/** Placeholder for a node's lists while it is read (never left in a result). */
const EMPTY: never[] = [];

/**
 * Messages as create() makes them (its prototype, then $typeName and the lists in its order), but
 * from a constructor: V8 then keeps every property inside the object, where Object.create() puts
 * most of them in a second allocation.
 */
function NodeMessage(this: Record<string, unknown>) {
  this.$typeName = NodeProtoSchema.typeName;
  // Placeholders: the lists are filled at their exact length when the node has been read.
  this.input = EMPTY;
  this.output = EMPTY;
  this.attribute = EMPTY;
  this.metadataProps = [];
  this.deviceConfigurations = [];
}
NodeMessage.prototype = Object.getPrototypeOf(create(NodeProtoSchema)) as object;

function AttributeMessage(this: Record<string, unknown>) {
  this.$typeName = AttributeProtoSchema.typeName;
  this.floats = [];
  this.ints = [];
  this.strings = [];
  this.tensors = [];
  this.graphs = [];
  this.sparseTensors = [];
  this.typeProtos = [];
}
AttributeMessage.prototype = Object.getPrototypeOf(create(AttributeProtoSchema)) as object;
/** AttributeProto.AttributeType is a closed enum: other values would become unknown fields. */
const MAX_ATTRIBUTE_TYPE = 14;

class GiveUp extends Error {}

/** The decoded model, or undefined when the generic decoder must do it (see above). */
export function fastDecodeModel(bytes: Uint8Array): ModelProto | undefined {
  try {
    return new Decoder(bytes).model();
  } catch {
    return undefined;
  }
}

/** Names repeat (an output is the next node's input; op types, "x"): equal short strings are shared. */
const CACHE_SIZE = 4096;

class Decoder {
  private r: BinaryReader;
  private strings: (string | undefined)[] = new Array<string | undefined>(CACHE_SIZE);
  private codes: number[] = [];
  // Scratch lists for one node, copied out at their exact length (a push-grown list keeps 16 slots).
  private inputs: string[] = [];
  private outputs: string[] = [];
  private attributes: AttributeProto[] = [];

  constructor(private bytes: Uint8Array) {
    this.r = new BinaryReader(bytes);
  }

  model(): ModelProto {
    const m = create(ModelProtoSchema);
    this.fields(
      m,
      this.bytes.length,
      ModelProtoSchema,
      RECURSION_LIMIT,
      (field) => field === 7,
      (_field, wire, end) => {
        if (wire !== WireType.LengthDelimited || m.graph) throw new GiveUp();
        m.graph = this.graph(this.lengthEnd(end));
      },
    );
    return m;
  }

  /**
   * Reads fields up to `end`: `read` takes those `own` says this decoder reads itself, and runs of
   * the others go to mergeFromBinary in file order (before the next own field, so that properties
   * are made in the order the generic reader makes them).
   */
  private fields<T extends ModelProto | GraphProto | NodeProto>(
    message: T,
    end: number,
    schema: typeof ModelProtoSchema | typeof GraphProtoSchema | typeof NodeProtoSchema,
    recursionLimit: number,
    own: (field: number) => boolean,
    read: (field: number, wire: WireType, end: number) => void,
  ): void {
    const r = this.r;
    const wires = wireTypes(schema);
    let runStart = -1;
    let runEnd = -1;
    const flush = () => {
      if (runStart < 0) return;
      mergeFromBinary(schema as never, message as never, this.bytes.subarray(runStart, runEnd), {
        recursionLimit,
      });
      runStart = -1;
    };
    while (r.pos < end) {
      const at = r.pos;
      const [field, wire] = this.tag();
      if (own(field)) {
        flush();
        read(field, wire, end);
        continue;
      }
      // Known fields must have their usual wire type, so that this field ends where the generic
      // reader would end it.
      const expected = wires.get(field);
      if (expected !== undefined) {
        const ok =
          expected >= 0 ? wire === expected : wire === -1 - expected || wire === WireType.LengthDelimited;
        if (!ok) throw new GiveUp();
      }
      r.skip(wire, field);
      if (r.pos > end) throw new GiveUp();
      if (runStart < 0) runStart = at;
      runEnd = r.pos;
    }
    if (r.pos !== end) throw new GiveUp();
    flush();
    // The generic reader adds unknown fields when it has read the whole message: the last property.
    const withUnknown = message as { $unknown?: unknown };
    if (withUnknown.$unknown !== undefined) {
      const unknown = withUnknown.$unknown;
      delete withUnknown.$unknown;
      withUnknown.$unknown = unknown;
    }
  }

  private tag(): [number, WireType] {
    const r = this.r;
    const start = r.pos;
    const tag = r.uint32();
    const read = r.pos - start;
    if (read > 5 || (read === 5 && this.bytes[r.pos - 1] > 0x0f)) throw new GiveUp();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field <= 0 || wire > 5) throw new GiveUp();
    tagPair[0] = field;
    tagPair[1] = wire;
    return tagPair;
  }

  /** Reads a length prefix; the end of the length-delimited value, within `end`. */
  private lengthEnd(end: number): number {
    const len = this.r.uint32();
    const valueEnd = this.r.pos + len;
    if (valueEnd > end) throw new GiveUp();
    return valueEnd;
  }

  private graph(end: number): GraphProto {
    const g = create(GraphProtoSchema);
    this.fields(
      g,
      end,
      GraphProtoSchema,
      RECURSION_LIMIT - GRAPH_DEPTH + 1,
      (field) => field === 1,
      (_field, wire, limit) => {
        if (wire !== WireType.LengthDelimited) throw new GiveUp();
        g.node.push(this.node(this.lengthEnd(limit)));
      },
    );
    return g;
  }

  private node(end: number): NodeProto {
    const n = new (NodeMessage as unknown as new () => NodeProto)();
    const inputs = this.inputs;
    const outputs = this.outputs;
    const attributes = this.attributes;
    inputs.length = 0;
    outputs.length = 0;
    attributes.length = 0;
    this.fields(
      n,
      end,
      NodeProtoSchema,
      RECURSION_LIMIT - NODE_DEPTH + 1,
      isNodeField,
      (field, wire, limit) => {
        if (wire !== WireType.LengthDelimited) throw new GiveUp();
        switch (field) {
          case 1:
            inputs.push(this.string(limit));
            break;
          case 2:
            outputs.push(this.string(limit));
            break;
          case 3:
            n.name = this.string(limit);
            break;
          case 4:
            n.opType = this.string(limit);
            break;
          case 5:
            attributes.push(this.attribute(this.lengthEnd(limit)));
            break;
          case 6:
            n.docString = this.string(limit);
            break;
          case 7:
            n.domain = this.string(limit);
            break;
          case 8:
            n.overload = this.string(limit);
            break;
        }
      },
    );
    n.input = inputs.slice();
    n.output = outputs.slice();
    n.attribute = attributes.slice();
    return n;
  }

  /** Plain attributes (numbers, strings and their lists) here; tensors, graphs and types generically. */
  private attribute(end: number): AttributeProto {
    const r = this.r;
    const start = r.pos;
    const a = new (AttributeMessage as unknown as new () => AttributeProto)();
    while (r.pos < end) {
      const [field, wire] = this.tag();
      if (field === 1 && wire === WireType.LengthDelimited) a.name = this.string(end);
      else if (field === 21 && wire === WireType.LengthDelimited) a.refAttrName = this.string(end);
      else if (field === 13 && wire === WireType.LengthDelimited) a.docString = this.string(end);
      else if (field === 20 && wire === WireType.Varint) {
        const type = r.int32();
        if (type < 0 || type > MAX_ATTRIBUTE_TYPE) throw new GiveUp();
        a.type = type;
      } else if (field === 2 && wire === WireType.Bit32) a.f = r.float();
      else if (field === 3 && wire === WireType.Varint) a.i = r.int64() as bigint;
      else if (field === 4 && wire === WireType.LengthDelimited) a.s = r.bytes() as Uint8Array<ArrayBuffer>;
      else if (field === 7 && wire === WireType.Bit32) a.floats.push(r.float());
      else if (field === 7 && wire === WireType.LengthDelimited) {
        const listEnd = this.lengthEnd(end);
        while (r.pos < listEnd) a.floats.push(r.float());
      } else if (field === 8 && wire === WireType.Varint) a.ints.push(r.int64() as bigint);
      else if (field === 8 && wire === WireType.LengthDelimited) {
        const listEnd = this.lengthEnd(end);
        while (r.pos < listEnd) a.ints.push(r.int64() as bigint);
      } else if (field === 9 && wire === WireType.LengthDelimited)
        a.strings.push(r.bytes() as Uint8Array<ArrayBuffer>);
      else {
        // Tensors, graphs, type protos, unknown fields: the whole attribute, generically.
        r.pos = end;
        return fromBinary(AttributeProtoSchema, this.bytes.subarray(start, end), {
          recursionLimit: RECURSION_LIMIT - ATTRIBUTE_DEPTH + 1,
        });
      }
      if (r.pos > end) throw new GiveUp();
    }
    return a;
  }

  /** A length-delimited string, as BinaryReader.string() decodes it (U+FFFD for invalid UTF-8). */
  private string(end: number): string {
    const r = this.r;
    const buf = this.bytes;
    const len = r.uint32();
    const from = r.pos;
    const to = from + len;
    if (to > end) throw new GiveUp();
    r.pos = to;
    if (len > 32) return getTextEncoding().decodeUtf8(buf.subarray(from, to));
    let hash = len;
    for (let i = from; i < to; i++) {
      const b = buf[i];
      if (b > 0x7f) return getTextEncoding().decodeUtf8(buf.subarray(from, to));
      hash = (Math.imul(hash, 31) + b) | 0;
    }
    const slot = (hash ^ (hash >>> 12)) & (CACHE_SIZE - 1);
    const cached = this.strings[slot];
    if (cached !== undefined && cached.length === len) {
      let same = true;
      for (let i = 0; i < len; i++) {
        if (cached.charCodeAt(i) !== buf[from + i]) {
          same = false;
          break;
        }
      }
      if (same) return cached;
    }
    const codes = this.codes;
    codes.length = len;
    for (let i = 0; i < len; i++) codes[i] = buf[from + i];
    const s = String.fromCharCode(...codes);
    this.strings[slot] = s;
    return s;
  }
}

const tagPair: [number, WireType] = [0, 0];

/** NodeProto fields 1-8 (names, op, attributes, doc): read here; 9, 10 and unknown ones generically. */
const isNodeField = (field: number) => field <= 8;

type Schema = typeof ModelProtoSchema | typeof GraphProtoSchema | typeof NodeProtoSchema;
const wireTypeTables = new Map<Schema, Map<number, number>>();

/**
 * Field number -> its wire type (-1 - wire for a repeated scalar, which may also come packed).
 * Varint for the integer scalars and enums, fixed for float/double, length-delimited otherwise.
 */
function wireTypes(schema: Schema): Map<number, number> {
  let m = wireTypeTables.get(schema);
  if (!m) {
    m = new Map();
    for (const f of schema.fields) {
      const scalar = f.fieldKind === "scalar" || (f.fieldKind === "list" && f.listKind === "scalar");
      const kind = scalar ? (f as { scalar: ScalarType }).scalar : undefined;
      let wire: number = WireType.LengthDelimited;
      if (f.fieldKind === "enum" || (f.fieldKind === "list" && f.listKind === "enum")) wire = WireType.Varint;
      else if (kind === ScalarType.DOUBLE || kind === ScalarType.FIXED64 || kind === ScalarType.SFIXED64)
        wire = WireType.Bit64;
      else if (kind === ScalarType.FLOAT || kind === ScalarType.FIXED32 || kind === ScalarType.SFIXED32)
        wire = WireType.Bit32;
      else if (kind !== undefined && kind !== ScalarType.STRING && kind !== ScalarType.BYTES)
        wire = WireType.Varint;
      const packable = f.fieldKind === "list" && wire !== WireType.LengthDelimited;
      // A packable list takes its own wire type or LengthDelimited: stored as -1 - wire.
      m.set(f.number, packable ? -1 - wire : wire);
    }
    wireTypeTables.set(schema, m);
  }
  return m;
}
