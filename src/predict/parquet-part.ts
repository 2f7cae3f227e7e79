/**
 * Parquet parts written straight from typed arrays, for predictions whose columns are all plain
 * numbers (the model's float outputs, numeric --keep columns): one row group, PLAIN pages of whole
 * rows (see pageSegments), uncompressed.
 *
 * Hand-written because of speed: DuckDB's route (an appender into a buffer table, then COPY to Parquet)
 * costs ~40 µs a row to append and ~160 ns a float to encode a list column, about 200 CPU-µs a row for
 * a 1,024-float output, on the cores the model needs; here a value is one memcpy. The schema is not
 * made up: it is the footer DuckDB writes for the same SELECT over no rows (the template), so these
 * parts and DuckDB's (a part that falls back, an older run's) carry byte-identical schemas and are
 * joined by concatParquet like any others.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import type { NumericArray } from "../onnx/tensor.js";
import {
  footerTail,
  MAGIC,
  OPTIONAL,
  readFooter,
  REPEATED,
  REQUIRED,
  thriftBytes,
} from "./parquet-concat.js";
import { field, T, type ThriftList, type ThriftStruct } from "./thrift-compact.js";

/** Parquet physical types this writer fills, with the typed arrays that hold them. */
const PHYSICAL: Record<number, { bytes: number; holds: (a: NumericArray) => boolean }> = {
  1: { bytes: 4, holds: (a) => a instanceof Int32Array || a instanceof Uint32Array }, // INT32
  2: { bytes: 8, holds: (a) => a instanceof BigInt64Array || a instanceof BigUint64Array }, // INT64
  4: { bytes: 4, holds: (a) => a instanceof Float32Array }, // FLOAT
  5: { bytes: 8, holds: (a) => a instanceof Float64Array }, // DOUBLE
};
const PLAIN = 0;
const RLE = 3;

/** One leaf column of the schema: where its values go and its level bounds. */
export interface Leaf {
  path: string[];
  physical: number;
  maxDef: number;
  maxRep: number;
}

export interface PartTemplate {
  /** The template's FileMetaData: schema, version, created_by, ... (row groups replaced per part). */
  meta: ThriftStruct;
  leaves: Leaf[];
}

/** Rows of one column as written: `rows` rows of `width` values each, back to back in `data`. */
export interface Segment {
  data: NumericArray;
  rows: number;
  width: number;
}

/**
 * The template of a Parquet file DuckDB wrote, or undefined when some leaf is not a plain number or
 * sits deeper than a list. Runs no longer read one (templateFor makes it without DuckDB); the tests
 * use it as the oracle templateFor is compared with.
 */
export function readTemplate(file: string): PartTemplate | undefined {
  const fd = fs.openSync(file, "r");
  let meta: ThriftStruct;
  try {
    meta = readFooter(fd, file).meta;
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
  const schema = (field(meta, 2)?.value as ThriftList | undefined)?.items as ThriftStruct[] | undefined;
  if (!schema || schema.length === 0) return undefined;
  const leaves: Leaf[] = [];
  let at = 1;
  const walk = (path: string[], def: number, rep: number): boolean => {
    const el = schema[at++];
    if (!el) return false;
    const name = Buffer.from(field(el, 4)!.value as Uint8Array).toString("utf8");
    const repetition = Number(field(el, 3)?.value ?? REQUIRED);
    const d = def + (repetition === REQUIRED ? 0 : 1);
    const r = rep + (repetition === REPEATED ? 1 : 0);
    const children = Number(field(el, 5)?.value ?? 0);
    if (children === 0) {
      const physical = Number(field(el, 1)?.value ?? -1);
      if (!PHYSICAL[physical] || r > 1) return false;
      leaves.push({ path: [...path, name], physical, maxDef: d, maxRep: r });
      return true;
    }
    for (let i = 0; i < children; i++) if (!walk([...path, name], d, r)) return false;
    return true;
  };
  const top = Number(field(schema[0], 5)?.value ?? 0);
  for (let i = 0; i < top; i++) if (!walk([], 0, 0)) return undefined;
  return { meta, leaves };
}

/** DuckDB type ids (parquet-read.ts's DUCK) as a Parquet leaf: physical type and converted type. */
const LEAF_OF: Record<number, [physical: number, converted?: number]> = {
  2: [1, 15], // TINYINT: INT32, INT_8
  3: [1, 16], // SMALLINT: INT32, INT_16
  4: [1, 17], // INTEGER: INT32, INT_32
  5: [2, 18], // BIGINT: INT64, INT_64
  6: [1, 11], // UTINYINT: INT32, UINT_8
  7: [1, 12], // USMALLINT: INT32, UINT_16
  8: [1, 13], // UINTEGER: INT32, UINT_32
  9: [2, 14], // UBIGINT: INT64, UINT_64
  10: [4], // FLOAT
  11: [5], // DOUBLE
};

/** The writer a direct part names (the spec's "<application> version <version>"). */
const CREATED_BY = `mlpack version ${
  (createRequire(import.meta.url)("../../package.json") as { version: string }).version
}`;

/** A column of a template made by hand: a number type by DuckDB type id, as a scalar or a list. */
export interface TemplateColumn {
  name: string;
  typeId: number;
  list: boolean;
}

/**
 * The template DuckDB writes for these columns (COPY ... LIMIT 0: the same schema elements, levels and
 * column orders, parquet-part.test.ts compares them), made without DuckDB so that a run which does
 * not need DuckDB never loads it; undefined when a column is not a plain number (DuckDB's template).
 */
export function templateFor(columns: TemplateColumn[]): PartTemplate | undefined {
  const i32 = (id: number, v: number) => ({ id, type: T.I32, value: BigInt(v) });
  const name = (v: string) => ({ id: 4, type: T.BINARY, value: Buffer.from(v, "utf8") });
  const schema: ThriftStruct[] = [
    { fields: [i32(3, REQUIRED), name("duckdb_schema"), i32(5, columns.length)] },
  ];
  const leaves: Leaf[] = [];
  for (const c of columns) {
    const leaf = LEAF_OF[c.typeId];
    if (!leaf) return undefined;
    const [physical, converted] = leaf;
    const element = (n: string): ThriftStruct => ({
      fields: [i32(1, physical), i32(3, OPTIONAL), name(n), ...(converted ? [i32(6, converted)] : [])],
    });
    if (c.list) {
      schema.push(
        { fields: [i32(3, OPTIONAL), name(c.name), i32(5, 1), i32(6, 3)] }, // LIST
        { fields: [i32(3, REPEATED), name("list"), i32(5, 1)] },
        element("element"),
      );
      leaves.push({ path: [c.name, "list", "element"], physical, maxDef: 3, maxRep: 1 });
    } else {
      schema.push(element(c.name));
      leaves.push({ path: [c.name], physical, maxDef: 1, maxRep: 0 });
    }
  }
  const meta: ThriftStruct = {
    fields: [
      i32(1, 1), // version
      { id: 2, type: T.LIST, value: { elemType: T.STRUCT, items: schema } },
      { id: 3, type: T.I64, value: 0n }, // num_rows
      { id: 4, type: T.LIST, value: { elemType: T.STRUCT, items: [] } }, // row_groups
      { id: 6, type: T.BINARY, value: Buffer.from(CREATED_BY, "utf8") },
      {
        id: 7, // column_orders: TypeDefinedOrder for every leaf
        type: T.LIST,
        value: {
          elemType: T.STRUCT,
          items: leaves.map(() => ({ fields: [{ id: 1, type: T.STRUCT, value: { fields: [] } }] })),
        },
      },
    ],
  };
  return { meta, leaves };
}

/** Whether `leaf` can take `data` at `width` values a row (a scalar leaf one, a list leaf any). */
export function fits(leaf: Leaf, data: NumericArray, width: number): boolean {
  return PHYSICAL[leaf.physical].holds(data) && (leaf.maxRep === 0 ? width === 1 : width >= 1);
}

/** Appends RLE runs (value, count) of a bit-width-`bits` level stream, merging equal neighbours. */
class Levels {
  /** The encoded runs after a 4-byte length prefix (data page v1), written in place. */
  private out = Buffer.allocUnsafe(4096);
  private pos = 4;
  private value = -1;
  private count = 0;
  private readonly valueBytes: number;
  constructor(bits: number) {
    this.valueBytes = Math.ceil(bits / 8);
  }

  run(value: number, count: number): void {
    if (count === 0) return;
    if (value === this.value) this.count += count;
    else {
      this.flush();
      this.value = value;
      this.count = count;
    }
  }

  private flush(): void {
    if (this.count === 0) return;
    if (this.pos + 16 > this.out.length) {
      const next = Buffer.allocUnsafe(this.out.length * 2);
      this.out.copy(next, 0, 0, this.pos);
      this.out = next;
    }
    const out = this.out;
    let h = this.count * 2; // RLE run header: count << 1, low bit 0
    while (h >= 0x80) {
      out[this.pos++] = (h & 0x7f) | 0x80;
      h = Math.floor(h / 0x80);
    }
    out[this.pos++] = h;
    for (let i = 0, v = this.value; i < this.valueBytes; i++, v >>= 8) out[this.pos++] = v & 0xff;
    this.count = 0;
  }

  /** The stream with its 4-byte length prefix. */
  bytes(): Buffer {
    this.flush();
    this.out.writeUInt32LE(this.pos - 4, 0);
    return this.out.subarray(0, this.pos);
  }
}

const bitWidth = (max: number) => (max === 0 ? 0 : 32 - Math.clz32(max));

const i32 = (id: number, value: number) => ({ id, type: T.I32, value });
const i64 = (id: number, value: number | bigint) => ({ id, type: T.I64, value: BigInt(value) });

/** Values a page holds at most (8 MiB of 4-byte values), cut at row boundaries; a row is never split. */
export const PAGE_VALUES = 2 ** 21;

/**
 * `segments` re-cut into pages of whole rows, each at most PAGE_VALUES values (or one row when a row
 * is longer): page sizes are 32-bit in Parquet, and readers hold a page at a time.
 */
function pageSegments(segments: Segment[]): Segment[][] {
  const pages: Segment[][] = [];
  let page: Segment[] = [];
  let held = 0;
  for (const s of segments)
    for (let r = 0; r < s.rows;) {
      const fit = Math.floor((PAGE_VALUES - held) / s.width);
      if (fit === 0 && held > 0) {
        pages.push(page);
        page = [];
        held = 0;
        continue;
      }
      const n = Math.min(s.rows - r, Math.max(1, fit)); // an empty page takes a row however long
      page.push({ data: s.data.subarray(r * s.width, (r + n) * s.width), rows: n, width: s.width });
      held += n * s.width;
      r += n;
    }
  if (page.length > 0) pages.push(page);
  return pages;
}

/** One data page: its header and body, and how many level entries it holds. */
function dataPage(leaf: Leaf, segments: Segment[]): { chunks: Buffer[]; values: number; size: number } {
  const rep = new Levels(bitWidth(leaf.maxRep));
  const def = new Levels(bitWidth(leaf.maxDef));
  let values = 0;
  for (const s of segments) {
    const n = s.rows * s.width;
    values += n;
    if (leaf.maxRep > 0)
      for (let r = 0; r < s.rows; r++) {
        rep.run(0, 1);
        rep.run(1, s.width - 1);
      }
    def.run(leaf.maxDef, n);
  }
  const body: Buffer[] = [];
  if (leaf.maxRep > 0) body.push(rep.bytes());
  if (leaf.maxDef > 0) body.push(def.bytes());
  for (const s of segments) {
    const bytes = PHYSICAL[leaf.physical].bytes;
    const view = Buffer.from(s.data.buffer, s.data.byteOffset, s.rows * s.width * bytes);
    body.push(view);
  }
  const bodySize = body.reduce((n, b) => n + b.length, 0);
  const header = thriftBytes({
    fields: [
      i32(1, 0), // DATA_PAGE
      i32(2, bodySize),
      i32(3, bodySize),
      {
        id: 5,
        type: T.STRUCT,
        value: { fields: [i32(1, values), i32(2, PLAIN), i32(3, RLE), i32(4, RLE)] },
      },
    ],
  });
  return { chunks: [header, ...body], values, size: header.length + bodySize };
}

/** One column chunk: its pages, and how many level entries it holds in all. */
function columnChunk(leaf: Leaf, segments: Segment[]): { chunks: Buffer[]; values: number; size: number } {
  const pages = pageSegments(segments).map((p) => dataPage(leaf, p));
  return {
    chunks: pages.flatMap((p) => p.chunks),
    values: pages.reduce((n, p) => n + p.values, 0),
    size: pages.reduce((n, p) => n + p.size, 0),
  };
}

/**
 * A part's column chunks as they will sit in a file from byte `offset` on, and the FileMetaData that
 * lists them there (one row group; none when `rows` is 0): columns[i] holds leaf i's segments, all of
 * `rows` rows in total.
 */
export function encodePart(
  t: PartTemplate,
  columns: Segment[][],
  rows: number,
  offset: number,
): { chunks: Buffer[]; size: number; meta: ThriftStruct } {
  const bufs: Buffer[] = [];
  const chunks: ThriftStruct[] = [];
  let at = offset;
  t.leaves.forEach((leaf, i) => {
    const page = columnChunk(leaf, columns[i]);
    const start = at;
    bufs.push(...page.chunks);
    at += page.size;
    chunks.push({
      fields: [
        i64(2, start),
        {
          id: 3,
          type: T.STRUCT,
          value: {
            fields: [
              i32(1, leaf.physical),
              { id: 2, type: T.LIST, value: { elemType: T.I32, items: [PLAIN, RLE] } },
              {
                id: 3,
                type: T.LIST,
                value: { elemType: T.BINARY, items: leaf.path.map((p) => Buffer.from(p, "utf8")) },
              },
              i32(4, 0), // UNCOMPRESSED
              i64(5, page.values),
              i64(6, page.size),
              i64(7, page.size),
              i64(9, start),
            ],
          },
        },
      ],
    });
  });
  const total = at - offset;
  const group: ThriftStruct = {
    fields: [
      { id: 1, type: T.LIST, value: { elemType: T.STRUCT, items: chunks } },
      i64(2, total),
      i64(3, rows),
      i64(5, offset),
      i64(6, total),
      { id: 7, type: T.I16, value: 0 },
    ],
  };
  const meta: ThriftStruct = {
    fields: t.meta.fields.map((f) =>
      f.id === 3
        ? i64(3, rows)
        : f.id === 4
          ? { id: 4, type: T.LIST, value: { elemType: T.STRUCT, items: rows > 0 ? [group] : [] } }
          : f,
    ),
  };
  return { chunks: bufs, size: total, meta };
}

/**
 * Writes `rows` rows to `file` under the template's schema (see encodePart). Synchronous writes of
 * buffers already in memory (a part is a few MiB).
 */
export function writeParquetPart(file: string, t: PartTemplate, columns: Segment[][], rows: number): void {
  const { chunks, meta } = encodePart(t, columns, rows, MAGIC.length);
  const fd = fs.openSync(file, "w");
  try {
    fs.writeSync(fd, MAGIC);
    for (const b of chunks) fs.writeSync(fd, b, 0, b.length);
    fs.writeSync(fd, footerTail(meta));
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Appends a part's column chunks to an open Parquet data file at byte `at` (see encodePart); returns
 * where they end and the FileMetaData that lists them at their place in that file.
 */
export function appendParquetPart(
  fd: number,
  at: number,
  t: PartTemplate,
  columns: Segment[][],
  rows: number,
): { end: number; meta: ThriftStruct } {
  const { chunks, size, meta } = encodePart(t, columns, rows, at);
  let pos = at;
  for (const b of chunks) {
    fs.writeSync(fd, b, 0, b.length, pos);
    pos += b.length;
  }
  return { end: at + size, meta };
}
