/**
 * Thrift's compact protocol, generically: a struct decodes to its fields in order (id, wire type,
 * value) and encodes back to the same bytes, so a Parquet footer can be edited field by field (offsets
 * shifted, row groups appended) without a schema for everything else it holds. Integers are bigints
 * (Parquet's i64 offsets and row counts), binaries are bytes, nested structs/lists/maps stay generic.
 *
 * Hand-written rather than the `thrift` package: that one decodes only into classes generated from
 * an IDL and drops fields it does not know, so a footer written by a newer DuckDB would lose them on
 * the way through; a field-preserving round trip is what the part merge needs, and it is ~250 lines.
 */

export const T = {
  TRUE: 1,
  FALSE: 2,
  BYTE: 3,
  I16: 4,
  I32: 5,
  I64: 6,
  DOUBLE: 7,
  BINARY: 8,
  LIST: 9,
  SET: 10,
  MAP: 11,
  STRUCT: 12,
} as const;

export type ThriftValue = bigint | boolean | number | Uint8Array | ThriftList | ThriftMap | ThriftStruct;

export interface ThriftField {
  id: number;
  /** Wire type; booleans keep TRUE/FALSE (compact encodes the value in the type). */
  type: number;
  value: ThriftValue;
}

export interface ThriftStruct {
  fields: ThriftField[];
}

export interface ThriftList {
  elemType: number;
  items: ThriftValue[];
}

export interface ThriftMap {
  keyType: number;
  valueType: number;
  entries: [ThriftValue, ThriftValue][];
}

/** Deeper than any Parquet footer; bounds the recursion on a corrupt file. */
const MAX_DEPTH = 64;

export class ThriftReader {
  pos = 0;
  constructor(private readonly b: Uint8Array) {}

  private byte(): number {
    if (this.pos >= this.b.length) throw new Error("thrift: truncated");
    return this.b[this.pos++];
  }

  private varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const x = this.byte();
      result |= BigInt(x & 0x7f) << shift;
      if ((x & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw new Error("thrift: varint too long");
    }
  }

  private zigzag(): bigint {
    const n = this.varint();
    return (n >> 1n) ^ -(n & 1n);
  }

  private size(): number {
    const n = Number(this.varint());
    if (n > this.b.length - this.pos) throw new Error("thrift: size past the end");
    return n;
  }

  struct(depth = 0): ThriftStruct {
    if (depth > MAX_DEPTH) throw new Error("thrift: nested too deep");
    const fields: ThriftField[] = [];
    let last = 0;
    for (;;) {
      const h = this.byte();
      if (h === 0) return { fields };
      const type = h & 0x0f;
      const delta = h >> 4;
      const id = delta !== 0 ? last + delta : Number(this.zigzag());
      last = id;
      const value = type === T.TRUE ? true : type === T.FALSE ? false : this.value(type, depth);
      fields.push({ id, type, value });
    }
  }

  private value(type: number, depth: number): ThriftValue {
    switch (type) {
      case T.BYTE:
        return (this.byte() << 24) >> 24;
      case T.I16:
      case T.I32:
      case T.I64:
        return this.zigzag();
      case T.DOUBLE: {
        if (this.pos + 8 > this.b.length) throw new Error("thrift: truncated");
        const v = new DataView(this.b.buffer, this.b.byteOffset + this.pos, 8).getFloat64(0, true);
        this.pos += 8;
        return v;
      }
      case T.BINARY: {
        const n = this.size();
        const v = this.b.subarray(this.pos, this.pos + n);
        this.pos += n;
        return v;
      }
      case T.LIST:
      case T.SET: {
        const h = this.byte();
        const elemType = h & 0x0f;
        const n = h >> 4 === 15 ? this.size() : h >> 4;
        const items: ThriftValue[] = [];
        for (let i = 0; i < n; i++)
          items.push(
            elemType === T.TRUE || elemType === T.FALSE ? this.byte() === 1 : this.value(elemType, depth + 1),
          );
        return { elemType, items };
      }
      case T.MAP: {
        const n = this.size();
        if (n === 0) return { keyType: 0, valueType: 0, entries: [] };
        const kv = this.byte();
        const keyType = kv >> 4;
        const valueType = kv & 0x0f;
        const entries: [ThriftValue, ThriftValue][] = [];
        for (let i = 0; i < n; i++)
          entries.push([this.value(keyType, depth + 1), this.value(valueType, depth + 1)]);
        return { keyType, valueType, entries };
      }
      case T.STRUCT:
        return this.struct(depth + 1);
      default:
        throw new Error(`thrift: unknown type ${type}`);
    }
  }
}

export class ThriftWriter {
  private buf = new Uint8Array(1024);
  private pos = 0;

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  private byte(x: number): void {
    this.ensure(1);
    this.buf[this.pos++] = x & 0xff;
  }

  private varint(n: bigint): void {
    do {
      let x = Number(n & 0x7fn);
      n >>= 7n;
      if (n !== 0n) x |= 0x80;
      this.byte(x);
    } while (n !== 0n);
  }

  private zigzag(n: bigint): void {
    this.varint(n >= 0n ? n << 1n : (-n << 1n) - 1n);
  }

  struct(s: ThriftStruct): void {
    let last = 0;
    for (const f of s.fields) {
      const type = f.type === T.TRUE || f.type === T.FALSE ? (f.value ? T.TRUE : T.FALSE) : f.type;
      const delta = f.id - last;
      if (delta > 0 && delta <= 15) this.byte((delta << 4) | type);
      else {
        this.byte(type);
        this.zigzag(BigInt(f.id));
      }
      last = f.id;
      if (type !== T.TRUE && type !== T.FALSE) this.value(type, f.value);
    }
    this.byte(0);
  }

  private value(type: number, v: ThriftValue): void {
    switch (type) {
      case T.BYTE:
        return this.byte(Number(v));
      case T.I16:
      case T.I32:
      case T.I64:
        return this.zigzag(BigInt(v as bigint | number));
      case T.DOUBLE: {
        this.ensure(8);
        new DataView(this.buf.buffer, this.pos, 8).setFloat64(0, v as number, true);
        this.pos += 8;
        return;
      }
      case T.BINARY: {
        const b = v as Uint8Array;
        this.varint(BigInt(b.length));
        this.ensure(b.length);
        this.buf.set(b, this.pos);
        this.pos += b.length;
        return;
      }
      case T.LIST:
      case T.SET: {
        const l = v as ThriftList;
        const n = l.items.length;
        this.byte(((n < 15 ? n : 15) << 4) | l.elemType);
        if (n >= 15) this.varint(BigInt(n));
        for (const item of l.items)
          if (l.elemType === T.TRUE || l.elemType === T.FALSE) this.byte(item ? 1 : 2);
          else this.value(l.elemType, item);
        return;
      }
      case T.MAP: {
        const m = v as ThriftMap;
        this.varint(BigInt(m.entries.length));
        if (m.entries.length === 0) return;
        this.byte((m.keyType << 4) | m.valueType);
        for (const [k, x] of m.entries) {
          this.value(m.keyType, k);
          this.value(m.valueType, x);
        }
        return;
      }
      case T.STRUCT:
        return this.struct(v as ThriftStruct);
      default:
        throw new Error(`thrift: unknown type ${type}`);
    }
  }
}

export function field(s: ThriftStruct, id: number): ThriftField | undefined {
  return s.fields.find((f) => f.id === id);
}

/** The structs of list field `id` (none when the field is absent). */
export function listItems(s: ThriftStruct, id: number): ThriftStruct[] {
  return ((field(s, id)?.value as ThriftList | undefined)?.items ?? []) as ThriftStruct[];
}
