/**
 * A Parquet reader for the columns a model reads: plain numbers and lists of numbers, decoded page by
 * page straight into typed arrays that become the chunks' flat columns (flat.ts).
 *
 * Hand-written because of speed (DuckDB stays the reader for everything else): DuckDB's chunks are
 * 2,048 rows whose list columns reach JS through node-api as vector objects, and reading alone ran at
 * 285-304k rows/s on the bench's 200k rows of 64 floats (0.16-0.19x of the small model in process),
 * with half of a 2M-row run in system time. Here a page is read with one pread, decompressed once, and
 * its values are one memcpy (PLAIN) or one gather (dictionary); a chunk's rows are views of the page.
 *
 * What it reads: PLAIN, PLAIN/RLE_DICTIONARY and BYTE_STREAM_SPLIT values; RLE/bit-packed levels; data
 * pages v1 and v2; uncompressed, snappy, gzip, brotli and (where Node has it) zstd pages; top-level
 * number columns and lists of numbers (3-level or legacy 2-level). Anything else (other types or
 * encodings, nested groups, LZ4, encryption) is refused up front by openParquet (undefined: DuckDB
 * reads the file), and anything met only while reading (a list row split across pages, a corrupt
 * page) throws, so that source.ts hands the rest of the file to DuckDB from the first row not yet
 * yielded: a file this reader cannot take is read as before, and a corrupt one gets DuckDB's error.
 */
import fs from "node:fs";
import zlib from "node:zlib";
import type { NumericArray } from "../onnx/tensor.js";
import type { Chunk, ColumnLike } from "./columns.js";
import type { FlatColumn } from "./flat.js";
import { elementName, readFooter, REPEATED, REQUIRED } from "./parquet-concat.js";
import { snappyUncompressAt } from "./snappy.js";
import {
  field,
  listItems as items,
  ThriftReader,
  type ThriftList,
  type ThriftStruct,
} from "./thrift-compact.js";

/** Something this reader does not take (or a corrupt page): the caller goes on with DuckDB. */
class ParquetUnsupported extends Error {}

const fail = (what: string): never => {
  throw new ParquetUnsupported(what);
};

/**
 * A file whose pages hold more or fewer rows than its footer says: corrupt or cut short, whoever reads
 * it (DuckDB reading the rest from a row number returned empty lists for such rows instead of an error).
 */
export class ParquetCorrupt extends Error {}

// Physical types
const INT32 = 1;
const INT64 = 2;
const FLOAT = 4;
const DOUBLE = 5;
// Encodings
const PLAIN = 0;
const PLAIN_DICTIONARY = 2;
const RLE = 3;
const RLE_DICTIONARY = 8;
const BYTE_STREAM_SPLIT = 9;
const ENCODINGS = new Set([PLAIN, PLAIN_DICTIONARY, RLE, RLE_DICTIONARY, BYTE_STREAM_SPLIT]);
// Codecs
const UNCOMPRESSED = 0;
const SNAPPY = 1;
const GZIP = 2;
const BROTLI = 4;
const ZSTD = 6;
const zstd = (zlib as unknown as { zstdDecompressSync?: (b: Uint8Array) => Buffer }).zstdDecompressSync;
const CODECS = new Set([UNCOMPRESSED, SNAPPY, GZIP, BROTLI, ...(zstd ? [ZSTD] : [])]);
// Page types
const DATA_PAGE = 0;
const INDEX_PAGE = 1;
const DICTIONARY_PAGE = 2;
const DATA_PAGE_V2 = 3;

type ArrayCtor = new (n: number) => NumericArray;

/**
 * DuckDB's type ids (DuckDBTypeId) of the types this reader fills, as numbers, so that the reader does
 * not need DuckDB's native module loaded (~150 ms) to run. parquet-read.test.ts checks them against
 * DuckDBTypeId.
 */
export const DUCK = {
  BOOLEAN: 1,
  TINYINT: 2,
  SMALLINT: 3,
  INTEGER: 4,
  BIGINT: 5,
  UTINYINT: 6,
  USMALLINT: 7,
  UINTEGER: 8,
  UBIGINT: 9,
  FLOAT: 10,
  DOUBLE: 11,
  LIST: 24,
} as const;

/** A column as DuckDB sees it, by type id: a number type, or a list of one (listOf). */
export interface ColumnShape {
  name: string;
  typeId: number;
  listOf?: number;
}

/** What DuckDB makes of each number type, as the typed array its vectors use and the physical type. */
const NUMBERS: Partial<Record<number, { array: ArrayCtor; physical: number }>> = {
  [DUCK.TINYINT]: { array: Int8Array, physical: INT32 },
  [DUCK.SMALLINT]: { array: Int16Array, physical: INT32 },
  [DUCK.INTEGER]: { array: Int32Array, physical: INT32 },
  [DUCK.UTINYINT]: { array: Uint8Array, physical: INT32 },
  [DUCK.USMALLINT]: { array: Uint16Array, physical: INT32 },
  [DUCK.UINTEGER]: { array: Uint32Array, physical: INT32 },
  [DUCK.BIGINT]: { array: BigInt64Array, physical: INT64 },
  [DUCK.UBIGINT]: { array: BigUint64Array, physical: INT64 },
  [DUCK.FLOAT]: { array: Float32Array, physical: FLOAT },
  [DUCK.DOUBLE]: { array: Float64Array, physical: DOUBLE },
};
const BYTES: Record<number, number> = { [INT32]: 4, [INT64]: 8, [FLOAT]: 4, [DOUBLE]: 8 };

/** One top-level column as this reader decodes it. */
interface Plan {
  index: number;
  name: string;
  array: ArrayCtor;
  physical: number;
  codec: number;
  /** Leaf's max definition and repetition levels. */
  maxDef: number;
  maxRep: number;
  /** Lists: a slot with a definition level below `present` is a NULL list, below `item` an empty one. */
  present: number;
  item: number;
  /** The leaf's position among the file's leaf columns (the row group's column chunk). */
  leaf: number;
}

const num = (s: ThriftStruct, id: number, dflt = -1): number => Number(field(s, id)?.value ?? dflt);

export interface ParquetFile {
  rows: number;
  /** Chunks of rows [offset, offset + limit), in file order. */
  chunks(offset: number, limit: number): Generator<Chunk>;
  close(): void;
}

/** Rows [at, at + rowCount) of one page per planned column (`columns` in the plan's order). */
interface Slice {
  rowCount: number;
  columns: { index: number; page: Page; at: number }[];
}

/**
 * The columns `needed` of a Parquet file (indexes into `columns`, DuckDB's view of it), or undefined
 * when some needed column or the file is not one this reader takes. `lists` says which of them may be
 * lists (model inputs may; --keep columns go to the output as DuckDB values and must be scalars).
 */
export function openParquet(
  file: string,
  columns: ColumnShape[],
  needed: number[],
  scalarsOnly: Set<number>,
): ParquetFile | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, "r");
    const { meta } = readFooter(fd, file);
    if (field(meta, 8)) return close(fd); // encrypted
    const schema = items(meta, 2);
    const top = leafPaths(schema);
    if (!top || top.length !== columns.length) return close(fd);
    const groups = items(meta, 4);
    const plans: Plan[] = [];
    for (const index of new Set(needed)) {
      const col = top[index];
      const info = columns[index];
      if (!col || col.name !== info.name) return close(fd);
      const listOf = info.typeId === DUCK.LIST ? info.listOf : undefined;
      if (info.typeId === DUCK.LIST && listOf === undefined) return close(fd);
      const t = NUMBERS[listOf ?? info.typeId];
      if (!t || t.physical !== col.physical) return close(fd);
      if (listOf ? col.maxRep !== 1 || scalarsOnly.has(index) : col.maxRep !== 0) return close(fd);
      let codec = -1;
      for (const g of groups) {
        const chunk = items(g, 1)[col.leaf];
        const md = chunk && (field(chunk, 3)?.value as ThriftStruct | undefined);
        if (!md || field(chunk, 1)) return close(fd); // data in another file
        const c = num(md, 4);
        const encodings = (field(md, 2)?.value as ThriftList | undefined)?.items ?? [];
        if (!CODECS.has(c) || encodings.some((e) => !ENCODINGS.has(Number(e)))) return close(fd);
        if (num(md, 1) !== col.physical) return close(fd);
        codec = c;
      }
      plans.push({ ...col, index, array: t.array, codec });
    }
    const rows = num(meta, 3, 0);
    const sum = groups.reduce((n, g) => n + num(g, 3, 0), 0);
    if (sum !== rows) return close(fd);
    return new Reader(fd, file, groups, plans, rows);
  } catch {
    return close(fd);
  }
}

function close(fd: number | undefined): undefined {
  if (fd !== undefined) fs.closeSync(fd);
  return undefined;
}

interface LeafShape {
  name: string;
  physical: number;
  maxDef: number;
  maxRep: number;
  present: number;
  item: number;
  leaf: number;
}

/**
 * Each top-level column's single leaf (undefined for the column when it has several, as a struct or
 * map does) with its levels; undefined when the schema cannot be walked.
 */
function leafPaths(schema: ThriftStruct[]): (LeafShape | undefined)[] | undefined {
  if (schema.length === 0) return undefined;
  let at = 1;
  let leaf = 0;
  const out: (LeafShape | undefined)[] = [];
  const walk = (def: number, rep: number, shape: { present: number; item: number }): LeafShape[] => {
    const el = schema[at++];
    if (!el) throw new ParquetUnsupported("schema");
    const repetition = num(el, 3, REQUIRED);
    const d = def + (repetition === REQUIRED ? 0 : 1);
    const r = rep + (repetition === REPEATED ? 1 : 0);
    // The repeated node: a list slot below it (def < d) is a NULL or empty list.
    const s = repetition === REPEATED && rep === 0 ? { present: def, item: d } : shape;
    const children = num(el, 5, 0);
    if (children === 0)
      return [
        {
          name: "",
          physical: num(el, 1),
          maxDef: d,
          maxRep: r,
          present: s.present,
          item: s.item,
          leaf: leaf++,
        },
      ];
    const leaves: LeafShape[] = [];
    for (let i = 0; i < children; i++) leaves.push(...walk(d, r, s));
    return leaves;
  };
  const top = num(schema[0], 5, 0);
  for (let i = 0; i < top; i++) {
    const el = schema[at];
    const name = elementName(el);
    const leaves = walk(0, 0, { present: 0, item: 0 });
    out.push(leaves.length === 1 ? { ...leaves[0], name } : undefined);
  }
  return out;
}

/** One decoded data page of a column: `rows` rows of slots in `data` (a NULL slot holds 0). */
interface Page {
  rows: number;
  data: NumericArray;
  /** Lists: row r's slots are [offsets[r], offsets[r + 1]). */
  offsets?: Int32Array;
  /** 1 where the row is NULL; absent when none is. */
  nulls?: Uint8Array;
  /** Lists: 1 where the row holds a NULL item; absent when none does. */
  itemNulls?: Uint8Array;
}

/** Bytes kept in front of a page's data, so that its values can be moved to an aligned offset. */
const PAD = 8;

/**
 * Reads one column chunk's pages in order. A page is read and decompressed into buffers the cursor
 * keeps (fresh buffers the size of a page cost more in page faults than the decoding itself: DuckDB
 * writes a row group's column as one page), so a page's rows are valid until the next page is read:
 * a chunk is used up before the next one is asked for.
 */
class ColumnCursor {
  private pos: number;
  private readonly end: number;
  /** Bounds from the column chunk's metadata on what one page may claim (a corrupt header must not
   * make this allocate gigabytes): its values and its uncompressed bytes. */
  private readonly maxValues: number;
  private readonly maxBytes: number;
  private dict?: NumericArray;
  page?: Page;
  /** The next row of `page` to hand out. */
  at = 0;
  /** A page of a type this reader does not know was passed over (its rows are not counted). */
  skipped = false;

  constructor(
    private readonly r: Reader,
    readonly plan: Plan,
    md: ThriftStruct,
    /** Kept from one row group to the next (first touches of fresh memory cost ~3 ms a MB here). */
    private readonly buf: Buffers,
  ) {
    const data = num(md, 9);
    const dict = num(md, 11, 0);
    this.pos = dict > 0 && dict < data ? dict : data;
    this.end = this.pos + num(md, 7);
    this.maxValues = Math.min(num(md, 5), 2 ** 28);
    this.maxBytes = Math.min(num(md, 6), 2 ** 30);
  }

  left(): number {
    return this.page ? this.page.rows - this.at : 0;
  }

  /** Reads pages until one with rows; false at the end of the column chunk. */
  next(): boolean {
    while (this.pos < this.end) {
      const { header, size } = this.r.pageHeader(this.pos, this.end);
      const type = num(header, 1);
      const compressed = num(header, 3);
      const uncompressed = num(header, 2);
      const at = this.pos + size;
      this.pos = at + compressed;
      if (this.pos > this.end || compressed < 0) fail("page past its column chunk");
      if (!(uncompressed >= 0 && uncompressed <= this.maxBytes)) fail("page size");
      for (const id of [5, 7, 8]) {
        const h = field(header, id)?.value as ThriftStruct | undefined;
        const n = h ? num(h, 1) : 0;
        if (!(n >= 0 && n <= this.maxValues)) fail("page value count");
      }
      if (type === DICTIONARY_PAGE) {
        const h = field(header, 7)?.value as ThriftStruct;
        const encoding = num(h, 2);
        if (encoding !== PLAIN && encoding !== PLAIN_DICTIONARY) fail("dictionary encoding");
        const bytes = this.decompress(at, compressed, uncompressed);
        this.dict = plainValues(bytes, 0, num(h, 1), this.plan, true);
        continue;
      }
      if (type !== DATA_PAGE && type !== DATA_PAGE_V2) {
        if (type !== INDEX_PAGE) this.skipped = true; // a page type this reader does not know
        continue;
      }
      const page =
        type === DATA_PAGE
          ? this.v1(header, at, compressed, uncompressed)
          : this.v2(header, at, compressed, uncompressed);
      if (page.rows === 0) continue;
      this.page = page;
      this.at = 0;
      return true;
    }
    this.page = undefined;
    return false;
  }

  private read(pos: number, n: number): Buffer {
    if (this.buf.raw.length < n) this.buf.raw = Buffer.allocUnsafe(n);
    return this.r.read(pos, this.buf.raw, n);
  }

  /** The cursor's page buffer with room for `size` bytes after PAD. */
  private target(size: number): Uint8Array {
    if (this.buf.page.length < PAD + size) this.buf.page = new Uint8Array(PAD + size);
    return this.buf.page.subarray(PAD, PAD + size);
  }

  /**
   * The page bytes at [at, at + compressed) of the file, decompressed into the page buffer (at PAD).
   * Uncompressed pages are read straight into it, snappy ones through a small window.
   */
  private decompress(at: number, compressed: number, size: number, codec = this.plan.codec): Uint8Array {
    const out = this.target(size);
    if (codec === UNCOMPRESSED) {
      if (compressed !== size) fail("page size");
      this.r.read(at, out, size);
    } else if (codec === SNAPPY) {
      if (this.buf.raw.length < 256 * 1024) this.buf.raw = Buffer.allocUnsafe(256 * 1024);
      snappyUncompressAt(this.r.readAt, at, compressed, out, this.buf.raw);
    } else {
      const body = this.read(at, compressed);
      const bytes =
        codec === GZIP
          ? zlib.gunzipSync(body)
          : codec === BROTLI
            ? zlib.brotliDecompressSync(body)
            : codec === ZSTD && zstd
              ? zstd(body)
              : fail("codec");
      if (bytes.length !== size) fail("page size");
      out.set(bytes);
    }
    return out;
  }

  private v1(header: ThriftStruct, at: number, compressed: number, size: number): Page {
    const h = field(header, 5)?.value as ThriftStruct;
    const n = num(h, 1);
    const bytes = this.decompress(at, compressed, size);
    let pos = 0;
    const { maxRep, maxDef } = this.plan;
    let rep: Levels | undefined;
    let def: Levels | undefined;
    if (maxRep > 0) {
      if (num(h, 4) !== RLE) fail("level encoding");
      const len = u32(bytes, pos);
      rep = { bytes, pos: pos + 4, end: pos + 4 + len };
      pos += 4 + len;
    }
    if (maxDef > 0) {
      if (num(h, 3) !== RLE) fail("level encoding");
      const len = u32(bytes, pos);
      def = { bytes, pos: pos + 4, end: pos + 4 + len };
      pos += 4 + len;
    }
    return this.assemble(bytes, pos, num(h, 2), n, rep, def);
  }

  private v2(header: ThriftStruct, at: number, compressed: number, size: number): Page {
    const h = field(header, 8)?.value as ThriftStruct;
    const n = num(h, 1);
    const defLen = num(h, 5, 0);
    const repLen = num(h, 6, 0);
    const levelBytes = defLen + repLen;
    if (!(defLen >= 0 && repLen >= 0 && levelBytes <= compressed && levelBytes <= size)) fail("levels");
    const { maxRep, maxDef } = this.plan;
    // The levels are never compressed in a v2 page: read on their own, then the values.
    const lv = new Uint8Array(levelBytes); // a copy: the read buffer is the snappy window next
    lv.set(this.read(at, levelBytes));
    const rep = maxRep > 0 ? { bytes: lv, pos: 0, end: repLen } : undefined;
    const def = maxDef > 0 ? { bytes: lv, pos: repLen, end: levelBytes } : undefined;
    const codec = field(h, 7)?.value === false ? UNCOMPRESSED : this.plan.codec;
    const bytes = this.decompress(at + levelBytes, compressed - levelBytes, size - levelBytes, codec);
    return this.assemble(bytes, 0, num(h, 4), n, rep, def);
  }

  /** Values of a page's `n` level slots, and the rows they make. */
  /**
   * A page of lists where a few rows are NULL or empty and no item is NULL: one page of DuckDB's (a row
   * group's column, 7.8M slots for lists of 64) with a single NULL row used to have every level decoded
   * and every slot visited, three times slower than a page without. Here the slots that hold no item
   * (holes) come from the encoded definition levels run by run, the row starts from rowStarts, and the
   * values stay one contiguous run; a row's offset is its first slot less the holes before it. Undefined
   * (the general path) when a hole is a NULL item, or holes are more than an eighth of the slots.
   */
  private sparseHoles(
    bytes: Uint8Array,
    pos: number,
    encoding: number,
    n: number,
    repAt: Levels,
    defAt: Levels,
  ): Page | undefined {
    const { maxDef, present, item } = this.plan;
    const holes = defHoles(defAt, maxDef, n, n >> 3);
    if (!holes) return undefined;
    for (let h = 0; h < holes.n; h++) if (holes.level[h] >= item) return undefined;
    const values = this.values(bytes, pos, encoding, n - holes.n);
    const rows = rowStarts(repAt, n, this.buf);
    const starts = this.buf.starts;
    starts[rows] = n;
    const offsets = new Int32Array(rows + 1);
    const nulls = new Uint8Array(rows);
    let anyNull = false;
    let h = 0;
    for (let r = 0; r < rows; r++) {
      const first = starts[r];
      offsets[r] = first - h;
      if (h < holes.n && holes.at[h] === first) {
        // A NULL or empty list is one slot with no item.
        if (starts[r + 1] - first !== 1) fail("a NULL or empty list with more than one slot");
        if (holes.level[h] < present) {
          nulls[r] = 1;
          anyNull = true;
        }
        h++;
      }
      if (h < holes.n && holes.at[h] < starts[r + 1]) fail("a list slot without an item inside a row");
    }
    offsets[rows] = n - holes.n;
    return { rows, data: values, offsets, ...(anyNull ? { nulls } : {}) };
  }

  private assemble(
    bytes: Uint8Array,
    pos: number,
    encoding: number,
    n: number,
    repAt: Levels | undefined,
    defAt: Levels | undefined,
  ): Page {
    const { maxDef, maxRep, present, item } = this.plan;
    // Every slot holds a value (the common case: no NULL, no empty list): then the levels are one run
    // of maxDef, and they are not decoded at all (a page of 7.8M slots made a 7.8 MB array for them).
    const full = !defAt || firstRun(defAt, maxDef, n) === maxDef;
    if (!full && repAt && maxRep === 1) {
      const page = this.sparseHoles(bytes, pos, encoding, n, repAt, defAt!);
      if (page) return page;
    }
    const def = full ? undefined : levels(defAt!, maxDef, n);
    let count = n;
    if (!full) {
      count = 0;
      for (let i = 0; i < n; i++) if (def![i] === maxDef) count++;
    }
    const values = this.values(bytes, pos, encoding, count);
    if (!repAt) {
      if (full) return { rows: n, data: values };
      const data = new this.plan.array(n);
      const nulls = new Uint8Array(n);
      for (let i = 0, v = 0; i < n; i++)
        if (def![i] === maxDef) data[i] = values[v++];
        else nulls[i] = 1;
      return { rows: n, data, nulls };
    }
    if (full && maxRep === 1) {
      // Lists whose every slot is an item: a row starts at each repetition level 0.
      const rows = rowStarts(repAt, n, this.buf);
      const offsets = this.buf.starts.subarray(0, rows + 1);
      offsets[rows] = n;
      return { rows, data: values, offsets };
    }
    const rep = levels(repAt, maxRep, n);
    if (n > 0 && rep[0] !== 0) fail("a list row continued from the previous page");
    let rows = 0;
    for (let i = 0; i < n; i++) if (rep[i] === 0) rows++;
    const offsets = new Int32Array(rows + 1);
    // Slots of NULL and empty lists hold no item; NULL items stay as 0 slots, flagged per row.
    const slots = new this.plan.array(n);
    const nulls = new Uint8Array(rows);
    const itemNulls = new Uint8Array(rows);
    let r = -1;
    let k = 0;
    let v = 0;
    let anyNull = false;
    let anyItemNull = false;
    for (let i = 0; i < n; i++) {
      if (rep[i] === 0) offsets[++r] = k;
      const d = full ? maxDef : def![i];
      if (d < item) {
        if (d < present) {
          nulls[r] = 1;
          anyNull = true;
        }
        continue;
      }
      if (d < maxDef) {
        itemNulls[r] = 1;
        anyItemNull = true;
        k++;
      } else slots[k++] = values[v++];
    }
    offsets[rows] = k;
    return {
      rows,
      data: slots.subarray(0, k),
      offsets,
      ...(anyNull ? { nulls } : {}),
      ...(anyItemNull ? { itemNulls } : {}),
    };
  }

  private values(bytes: Uint8Array, pos: number, encoding: number, count: number): NumericArray {
    if (encoding === PLAIN) return plainValues(bytes, pos, count, this.plan, false);
    if (encoding === BYTE_STREAM_SPLIT) return splitValues(bytes, pos, count, this.plan);
    if (encoding !== RLE_DICTIONARY && encoding !== PLAIN_DICTIONARY) return fail("encoding");
    const dict = this.dict ?? fail("no dictionary page");
    const out = new this.plan.array(count);
    if (count === 0) return out;
    const bits = bytes[pos];
    if (bits > 24) fail("dictionary index width");
    const idx = new Int32Array(count);
    hybrid(bytes, pos + 1, bytes.length, bits, idx, count);
    const size = dict.length;
    for (let i = 0; i < count; i++) {
      const j = idx[i];
      if (j >= size) fail("dictionary index");
      out[i] = dict[j];
    }
    return out;
  }
}

/** A column's read, page and row-start buffers. */
interface Buffers {
  raw: Buffer;
  page: Uint8Array;
  starts: Int32Array;
}

/** Where a level stream lies: bytes [pos, end). */
interface Levels {
  bytes: Uint8Array;
  pos: number;
  end: number;
}

const u32 = (b: Uint8Array, pos: number): number => {
  if (pos + 4 > b.length) fail("levels");
  return (b[pos] | (b[pos + 1] << 8) | (b[pos + 2] << 16) | (b[pos + 3] << 24)) >>> 0;
};

/** `count` levels of bit width for `max`. */
function levels(at: Levels, max: number, count: number): Uint8Array {
  if (at.end > at.bytes.length) fail("levels past the page");
  const out = new Uint8Array(count);
  const bits = 32 - Math.clz32(max);
  // One RLE run of a value in range needs no check of each level (nor do widths that hold only max).
  const uniform = hybrid(at.bytes, at.pos, at.end, bits, out, count);
  if (uniform < 0 && max !== (1 << bits) - 1)
    for (let i = 0; i < count; i++) if (out[i] > max) fail("level out of range");
  if (uniform > max) fail("level out of range");
  return out;
}

/**
 * The slots whose definition level is below `max`, with their levels, read from the encoded levels: an
 * RLE run of `max` is skipped whole. Undefined when there are more than `limit`.
 */
function defHoles(
  at: Levels,
  max: number,
  count: number,
  limit: number,
): { at: Int32Array; level: Uint8Array; n: number } | undefined {
  const b = at.bytes;
  let pos = at.pos;
  const end = Math.min(at.end, b.length);
  const bits = 32 - Math.clz32(max);
  let holes = new Int32Array(16);
  let level = new Uint8Array(16);
  let n = 0;
  const add = (slot: number, v: number): boolean => {
    if (v > max) fail("level out of range");
    if (n === limit) return false;
    if (n === holes.length) {
      const grown = new Int32Array(n * 2);
      grown.set(holes);
      holes = grown;
      const l = new Uint8Array(n * 2);
      l.set(level);
      level = l;
    }
    holes[n] = slot;
    level[n++] = v;
    return true;
  };
  let scratch = new Uint8Array(0);
  let i = 0;
  while (i < count) {
    pos = nextRun(b, pos, end, bits, count - i);
    if (runPacked) {
      if (scratch.length < runTake) scratch = new Uint8Array(runTake);
      unpack(b, runData, bits, runTake, scratch, 0);
      for (let k = 0; k < runTake; k++) if (scratch[k] !== max && !add(i + k, scratch[k])) return undefined;
    } else if (runValue !== max)
      for (let k = 0; k < runTake; k++) if (!add(i + k, runValue)) return undefined;
    i += runTake;
  }
  return { at: holes, level, n };
}

/** Set by runHeader: where the header it read ends. */
let headerEnd = 0;

/**
 * The varint header of an RLE/bit-packed hybrid run at b[pos, end) (count << 1, low bit 1 for
 * bit-packed groups), with its end in headerEnd; -1 when it is truncated or too long.
 */
function runHeader(b: Uint8Array, pos: number, end: number): number {
  let h = 0;
  for (let shift = 1; shift <= 2 ** 28; shift *= 128) {
    if (pos >= end) return -1;
    const x = b[pos++];
    h += (x & 0x7f) * shift;
    if ((x & 0x80) === 0) {
      headerEnd = pos;
      return h;
    }
  }
  return -1;
}

/** The value of the first run of a level stream when it is an RLE run covering all `count`; else -1. */
function firstRun(at: Levels, max: number, count: number): number {
  const b = at.bytes;
  const end = Math.min(at.end, b.length);
  const h = runHeader(b, at.pos, end);
  const pos = headerEnd;
  const bytes = (32 - Math.clz32(max) + 7) >> 3;
  if (h < 0 || h % 2 === 1 || h / 2 < count || pos + bytes > end) return -1;
  let v = 0;
  for (let k = 0; k < bytes; k++) v |= b[pos + k] << (8 * k);
  return v;
}

/**
 * Row starts of a page of list slots that are all items (repetition levels of bit width 1), written
 * to `starts`; returns the row count. Reads the encoded levels directly: a run of 1s is skipped whole
 * and a bit-packed byte of 1s in one test, so a row of 64 floats costs a few steps, not 64.
 */
function rowStarts(at: Levels, count: number, buf: { starts: Int32Array }): number {
  // Grown as rows are found (a page of lists of 64 holds 1/64 as many rows as slots). The checks are
  // written out before each growStarts call: a closure made per call here was a new call target on
  // every page, and V8 dropped the optimised loop each time ("wrong call target").
  let starts = buf.starts;
  const b = at.bytes;
  let pos = at.pos;
  const end = Math.min(at.end, b.length);
  let i = 0;
  let rows = 0;
  while (i < count) {
    const h = runHeader(b, pos, end);
    if (h < 0) fail("levels truncated");
    pos = headerEnd;
    if (h % 2 === 1) {
      const bytes = (h - 1) / 2;
      if (pos + bytes > end) fail("levels truncated");
      const take = Math.min(bytes * 8, count - i);
      for (let k = 0; k < take;) {
        const x = b[pos + (k >> 3)];
        if (x === 0xff && take - k >= 8) {
          k += 8;
          continue;
        }
        if (rows + 8 >= starts.length) starts = growStarts(buf, rows, rows + 8, count);
        for (const stop = Math.min(take, (k | 7) + 1); k < stop; k++)
          if (((x >> (k & 7)) & 1) === 0) starts[rows++] = i + k;
      }
      i += take;
      pos += bytes;
    } else {
      const n = h / 2;
      if (pos >= end) fail("levels truncated");
      const v = b[pos++];
      const take = Math.min(n, count - i);
      if (v === 0) {
        if (rows + take >= starts.length) starts = growStarts(buf, rows, rows + take, count);
        for (let k = 0; k < take; k++) starts[rows++] = i + k;
      } else if (v !== 1) fail("level out of range");
      i += take;
    }
  }
  if (count > 0 && (rows === 0 || starts[0] !== 0)) fail("a list row continued from the previous page");
  if (rows + 1 >= starts.length) growStarts(buf, rows, rows + 1, count);
  return rows;
}

/** buf.starts grown to hold index `need` (at most count + 1 entries), its first `rows` kept. */
function growStarts(buf: { starts: Int32Array }, rows: number, need: number, count: number): Int32Array {
  const starts = buf.starts;
  const next = new Int32Array(Math.min(count + 1, Math.max(need + 1, starts.length * 2, 4096)));
  next.set(starts.subarray(0, rows));
  return (buf.starts = next);
}

/** Set by nextRun: whether the run is bit-packed, how many of its values are wanted, where its packed
 * values start (bit-packed) or its value (RLE). */
let runPacked = false;
let runTake = 0;
let runData = 0;
let runValue = 0;

/**
 * The header of the RLE/bit-packed hybrid run at b[pos, end) for values of `bits` bits, of which at
 * most `left` are wanted, in runPacked, runTake, runData and runValue; returns where the run ends.
 */
function nextRun(b: Uint8Array, pos: number, end: number, bits: number, left: number): number {
  const h = runHeader(b, pos, end);
  if (h < 0) fail("levels truncated");
  pos = headerEnd;
  if (h % 2 === 1) {
    const groups = (h - 1) / 2;
    const stop = pos + groups * bits;
    if (stop > end) fail("levels truncated");
    runPacked = true;
    runTake = Math.min(groups * 8, left);
    runData = pos;
    return stop;
  }
  const bytes = (bits + 7) >> 3;
  if (pos + bytes > end) fail("levels truncated");
  let v = 0;
  for (let k = 0; k < bytes; k++) v |= b[pos + k] << (8 * k);
  runPacked = false;
  runTake = Math.min(h / 2, left);
  runValue = v;
  return pos + bytes;
}

/** `take` bit-packed values of `bits` bits at b[p...] into out[at...]. */
function unpack(
  b: Uint8Array,
  p: number,
  bits: number,
  take: number,
  out: Uint8Array | Int32Array,
  at: number,
): void {
  if (bits === 1) {
    for (let k = 0; k < take; k++) out[at + k] = (b[p + (k >> 3)] >> (k & 7)) & 1;
    return;
  }
  const mask = bits === 32 ? -1 : (1 << bits) - 1;
  let acc = 0;
  let have = 0;
  for (let k = 0; k < take; k++) {
    while (have < bits) {
      acc |= b[p++] << have;
      have += 8;
    }
    out[at + k] = acc & mask;
    acc >>>= bits;
    have -= bits;
  }
}

/** The RLE/bit-packed hybrid encoding (levels, dictionary indexes); bit width up to 24. */
function hybrid(
  b: Uint8Array,
  pos: number,
  end: number,
  bits: number,
  out: Uint8Array | Int32Array,
  count: number,
): number {
  /** The value of every run so far when all were RLE runs of one value; -1 otherwise. */
  let uniform = -2;
  let i = 0;
  while (i < count) {
    pos = nextRun(b, pos, end, bits, count - i);
    if (runPacked) {
      unpack(b, runData, bits, runTake, out, i);
      uniform = -1;
    } else {
      out.fill(runValue, i, i + runTake);
      uniform = uniform === -2 || uniform === runValue ? runValue : -1;
    }
    i += runTake;
  }
  return uniform === -2 ? -1 : uniform;
}

/**
 * `count` PLAIN values at bytes[pos...] as the plan's typed array: a view of the page buffer, moved
 * within it to an aligned offset when needed (page buffers have PAD bytes in front for that), or a
 * copy when `own` (a dictionary outlives the page buffer).
 */
function plainValues(bytes: Uint8Array, pos: number, count: number, plan: Plan, own: boolean): NumericArray {
  const size = BYTES[plan.physical];
  const len = count * size;
  if (pos + len > bytes.length) fail("values past the page");
  let at = bytes.byteOffset + pos;
  if (own) return physicalAs(bytes.buffer.slice(at, at + len), 0, count, plan);
  const miss = at % size;
  if (miss !== 0) {
    if (at - miss < bytes.byteOffset - PAD) fail("page buffer");
    new Uint8Array(bytes.buffer).copyWithin(at - miss, at, at + len);
    at -= miss;
  }
  return physicalAs(bytes.buffer, at, count, plan);
}

function splitValues(bytes: Uint8Array, pos: number, count: number, plan: Plan): NumericArray {
  const size = BYTES[plan.physical];
  if (pos + count * size > bytes.length) fail("values past the page");
  const raw = new Uint8Array(count * size);
  for (let s = 0; s < size; s++) {
    const from = pos + s * count;
    for (let i = 0; i < count; i++) raw[i * size + s] = bytes[from + i];
  }
  return physicalAs(raw.buffer, 0, count, plan);
}

/** The physical values in `raw` as the typed array DuckDB would use (narrow ints converted). */
function physicalAs(raw: ArrayBufferLike, at: number, count: number, plan: Plan): NumericArray {
  const A = plan.array;
  switch (plan.physical) {
    case FLOAT:
      return new Float32Array(raw, at, count);
    case DOUBLE:
      return new Float64Array(raw, at, count);
    case INT64:
      return A === BigUint64Array ? new BigUint64Array(raw, at, count) : new BigInt64Array(raw, at, count);
    default: {
      if (A === Int32Array) return new Int32Array(raw, at, count);
      if (A === Uint32Array) return new Uint32Array(raw, at, count);
      const out = new A(count);
      (out as Int8Array).set(new Int32Array(raw, at, count));
      return out;
    }
  }
}

class Reader implements ParquetFile {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private readonly fileSize: number;
  private readonly buffers: Buffers[];

  constructor(
    private readonly fd: number,
    private readonly file: string,
    private readonly groups: ThriftStruct[],
    private readonly plans: Plan[],
    readonly rows: number,
  ) {
    this.fileSize = fs.fstatSync(fd).size;
    this.buffers = plans.map(() => ({
      raw: Buffer.alloc(0),
      page: new Uint8Array(0),
      starts: new Int32Array(0),
    }));
  }

  close(): void {
    fs.closeSync(this.fd);
  }

  readonly readAt = (into: Uint8Array, offset: number, n: number, pos: number): void => {
    if (pos + n > this.fileSize || n < 0 || offset + n > into.length) fail("page past the end of the file");
    if (fs.readSync(this.fd, into, offset, n, pos) !== n) fail("short read");
  };

  /** Reads bytes [pos, pos + n) of the file into the start of `into`; returns them. */
  read<B extends Uint8Array>(pos: number, into: B, n: number): B {
    this.readAt(into, 0, n, pos);
    return into.subarray(0, n) as B;
  }

  /** The page header at `pos` and its size in bytes. */
  pageHeader(pos: number, end: number): { header: ThriftStruct; size: number } {
    for (let want = 256; ; want *= 4) {
      const n = Math.min(want, end - pos);
      if (n <= 0) fail("page header past the column chunk");
      if (this.buf.length < n) this.buf = Buffer.allocUnsafe(n);
      const t = new ThriftReader(this.read(pos, this.buf, n));
      try {
        const header = t.struct();
        return { header, size: t.pos };
      } catch (e) {
        if (n === end - pos || !/truncated|past the end/.test(String(e))) fail("page header");
      }
    }
  }

  *chunks(offset: number, limit: number): Generator<Chunk> {
    for (const s of this.slices(offset, limit)) yield chunkOf(s);
  }

  /** The rows as pages and positions in them. */
  private *slices(offset: number, limit: number): Generator<Slice> {
    let first = 0; // the file row the current row group starts at
    for (const g of this.groups) {
      const groupRows = num(g, 3, 0);
      const groupEnd = first + groupRows;
      if (groupEnd <= offset) {
        first = groupEnd;
        continue;
      }
      if (first >= offset + limit) return;
      const chunks = items(g, 1);
      const cursors = this.plans.map(
        (p, i) => new ColumnCursor(this, p, field(chunks[p.leaf], 3)!.value as ThriftStruct, this.buffers[i]),
      );
      let row = first;
      const stop = Math.min(groupEnd, offset + limit);
      while (row < stop) {
        let n = stop - row;
        for (const c of cursors) {
          if (c.left() === 0 && !c.next()) corrupt(c, "fewer");
          n = Math.min(n, c.left());
        }
        const skip = Math.max(0, Math.min(n, offset - row));
        const columns = cursors.map((c) => ({ index: c.plan.index, page: c.page!, at: c.at + skip }));
        for (const c of cursors) c.at += n;
        row += n;
        if (n - skip === 0) continue;
        yield { rowCount: n - skip, columns };
      }
      if (row === groupEnd) for (const c of cursors) if (c.left() > 0 || c.next()) corrupt(c, "more");
      first = groupEnd;
    }
  }
}

/** A column chunk whose pages disagree with its row group's row count (see ParquetCorrupt). */
function corrupt(c: ColumnCursor, what: "fewer" | "more"): never {
  if (c.skipped) fail("a page of an unknown type");
  throw new ParquetCorrupt(
    `column "${c.plan.name}": its pages hold ${what} rows than its row group says (the file is corrupt${what === "fewer" ? " or was cut short" : ""})`,
  );
}

/** A slice as the chunk the rest of predict reads. */
function chunkOf(s: Slice): Chunk {
  const byIndex = new Map(s.columns.map((c) => [c.index, flatOf(c.page, c.at)]));
  return {
    rowCount: s.rowCount,
    column: (index) => byIndex.get(index) ?? fail(`column ${index} was not planned`),
  };
}

/** Rows from `at` of a page as a chunk column (the chunk says how many). */
function flatOf(p: Page, at: number): ColumnLike {
  const { data, offsets, nulls, itemNulls } = p;
  const integer = !(data instanceof Float32Array || data instanceof Float64Array);
  if (!offsets) {
    const flat: FlatColumn = {
      data,
      integer,
      start: (r) => at + r,
      length: () => 1,
      isNull: nulls ? (r) => nulls[at + r] === 1 : () => false,
      ...(nulls ? {} : { run: (r: number, _n: number, w: number) => (w === 1 ? at + r : -1) }),
    };
    return { value: (r) => (nulls?.[at + r] ? null : data[at + r]), flat };
  }
  const flat: FlatColumn = {
    data,
    integer,
    start: (r) => offsets[at + r],
    length: (r) => offsets[at + r + 1] - offsets[at + r],
    isNull: nulls ? (r) => nulls[at + r] === 1 : () => false,
    ...(itemNulls ? { hasNullItem: (r: number) => itemNulls[at + r] === 1 } : {}),
    ...(nulls || itemNulls
      ? {}
      : {
          run: (r: number, m: number, w: number) => {
            const s = at + r;
            for (let i = s; i < s + m; i++) if (offsets[i + 1] - offsets[i] !== w) return -1;
            return offsets[s];
          },
        }),
  };
  return {
    value: (r) => (nulls?.[at + r] ? null : data.subarray(offsets[at + r], offsets[at + r + 1])),
    flat,
  };
}
