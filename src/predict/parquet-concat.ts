/**
 * Joins Parquet files with the same schema into one without decoding a value: each file's column
 * chunks are copied byte for byte after the previous file's, and one footer lists every row group
 * with its offsets shifted. Re-encoding the parts through DuckDB (read, then write again) took as long
 * as writing them in the first place (seconds for 64 MB of floats); this is a file copy.
 *
 * The footer is edited as generic Thrift (thrift-compact.ts): only the fields that hold a position in
 * the file are touched. Page indexes hold absolute page positions inside the copied bytes; they are
 * dropped from the footer (optional in Parquet; DuckDB does not write them by default). Anything this
 * does not understand (an encrypted footer, different schemas) returns false, and the caller falls
 * back to DuckDB.
 */
import fs from "node:fs";
import { field, ThriftReader, ThriftWriter, type ThriftList, type ThriftStruct } from "./thrift-compact.js";

/** What a Parquet file starts and ends with. */
export const MAGIC = Buffer.from("PAR1");

/** A schema element's repetition (FieldRepetitionType). */
export const REQUIRED = 0;
export const OPTIONAL = 1;
export const REPEATED = 2;

/** A schema element's name (field 4), "" when it has none. */
export const elementName = (el: ThriftStruct): string =>
  Buffer.from((field(el, 4)?.value as Uint8Array | undefined) ?? []).toString("utf8");

// FileMetaData
const FMD_SCHEMA = 2;
const FMD_NUM_ROWS = 3;
const FMD_ROW_GROUPS = 4;
const FMD_ENCRYPTION = 8;
// RowGroup
const RG_COLUMNS = 1;
const RG_FILE_OFFSET = 5;
const RG_ORDINAL = 7;
// ColumnChunk
const CC_FILE_PATH = 1;
const CC_FILE_OFFSET = 2;
const CC_META = 3;
const CC_PAGE_INDEX = new Set([4, 5, 6, 7]);
const CC_CRYPTO = 8;
// ColumnMetaData: data, index, dictionary page and bloom filter offsets
const CMD_OFFSETS = new Set([9, 10, 11, 14]);

export interface Footer {
  meta: ThriftStruct;
  /** Where the footer starts: the column data is [4, end). */
  end: number;
}

/** A Parquet file's FileMetaData, generically; throws when the file is not Parquet. */
export function readFooter(fd: number, file: string): Footer {
  const size = fs.fstatSync(fd).size;
  const tail = Buffer.alloc(8);
  if (size < 12 || fs.readSync(fd, tail, 0, 8, size - 8) !== 8 || !tail.subarray(4).equals(MAGIC))
    throw new Error(`${file}: not a Parquet file`);
  const len = tail.readUInt32LE(0);
  const end = size - 8 - len;
  if (end < 4) throw new Error(`${file}: bad footer length`);
  const bytes = Buffer.alloc(len);
  fs.readSync(fd, bytes, 0, len, end);
  return { meta: new ThriftReader(bytes).struct(), end };
}

/** A Thrift struct in the compact protocol, as bytes. */
export function thriftBytes(s: ThriftStruct): Buffer {
  const w = new ThriftWriter();
  w.struct(s);
  return Buffer.from(w.bytes());
}

/** A FileMetaData as a Parquet file's tail: the footer, its length and the closing magic. */
export function footerTail(meta: ThriftStruct): Buffer {
  const footer = thriftBytes(meta);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(footer.length, 0);
  return Buffer.concat([footer, len, MAGIC]);
}

function shift(s: ThriftStruct, ids: Set<number>, by: bigint): void {
  for (const f of s.fields) if (ids.has(f.id)) f.value = (f.value as bigint) + by;
}

function rowGroups(meta: ThriftStruct): ThriftStruct[] {
  return (field(meta, FMD_ROW_GROUPS)!.value as ThriftList).items as ThriftStruct[];
}

/** The schema as text, to compare files by. */
const schemaOf = (meta: ThriftStruct) =>
  thriftBytes({ fields: meta.fields.filter((f) => f.id === FMD_SCHEMA) }).toString("base64");

/** Whether a footer's column data can be copied as bytes: not encrypted, no data in other files. */
function copiable(meta: ThriftStruct): boolean {
  if (field(meta, FMD_ENCRYPTION) || !field(meta, FMD_ROW_GROUPS)) return false;
  for (const g of rowGroups(meta))
    for (const c of (field(g, RG_COLUMNS)?.value as ThriftList).items) {
      const cc = c as ThriftStruct;
      if (field(cc, CC_FILE_PATH) || field(cc, CC_CRYPTO) || !field(cc, CC_META)) return false;
    }
  return true;
}

/** A part of a file being assembled: a footer whose column data is already in place, or a file to copy. */
export type AssemblyPart = { meta: ThriftStruct } | { file: string };

/**
 * Makes `out` (open for writing; its bytes [0, at) already a Parquet file's magic and column data) a
 * Parquet file of the parts' rows, in order: a part given as a footer lists column data already in
 * `out`; a part given as a file has its column data copied to the end, its offsets shifted. One footer
 * lists every row group. False (`out` past `at` left as it was or with copied bytes the caller
 * truncates) when the parts do not share a schema or one cannot be copied as bytes.
 */
export function assembleParquet(out: number, at: number, parts: AssemblyPart[]): boolean {
  // Each part's footer, and for a part given as a file, the file open and where its column data ends.
  const entries: { meta: ThriftStruct; file?: string; fd?: number; end: number }[] = [];
  try {
    for (const p of parts) {
      if ("meta" in p) {
        entries.push({ meta: p.meta, end: 0 });
        continue;
      }
      const fd = fs.openSync(p.file, "r");
      let footer: Footer;
      try {
        footer = readFooter(fd, p.file);
      } catch {
        fs.closeSync(fd);
        return false;
      }
      entries.push({ meta: footer.meta, file: p.file, fd, end: footer.end });
    }
    if (entries.length === 0) return false;
    const schema = schemaOf(entries[0].meta);
    if (!entries.every((e) => copiable(e.meta) && schemaOf(e.meta) === schema)) return false;
    let rows = 0n;
    const groups: ThriftStruct[] = [];
    const buf = Buffer.allocUnsafe(4 << 20);
    for (const { meta, file, fd, end } of entries) {
      if (fd !== undefined) {
        const by = BigInt(at - 4);
        for (const rg of rowGroups(meta)) {
          shift(rg, new Set([RG_FILE_OFFSET]), by);
          for (const c of (field(rg, RG_COLUMNS)?.value as ThriftList).items) {
            const cc = c as ThriftStruct;
            cc.fields = cc.fields.filter((f) => !CC_PAGE_INDEX.has(f.id));
            shift(cc, new Set([CC_FILE_OFFSET]), by);
            shift(field(cc, CC_META)!.value as ThriftStruct, CMD_OFFSETS, by);
          }
        }
        for (let pos = 4; pos < end;) {
          const n = fs.readSync(fd, buf, 0, Math.min(buf.length, end - pos), pos);
          if (n <= 0) throw new Error(`${file}: short read`);
          fs.writeSync(out, buf, 0, n, at);
          pos += n;
          at += n;
        }
      }
      for (const rg of rowGroups(meta)) {
        const ordinal = field(rg, RG_ORDINAL);
        if (ordinal) ordinal.value = BigInt(groups.length);
        groups.push(rg);
      }
      rows += (field(meta, FMD_NUM_ROWS)?.value as bigint | undefined) ?? 0n;
    }
    const meta = entries[0].meta;
    const rowsField = field(meta, FMD_NUM_ROWS);
    if (rowsField) rowsField.value = rows;
    (field(meta, FMD_ROW_GROUPS)!.value as ThriftList).items = groups;
    const tail = footerTail(meta);
    fs.writeSync(out, tail, 0, tail.length, at);
    fs.ftruncateSync(out, at + tail.length);
    return true;
  } finally {
    for (const { fd } of entries) if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Writes the files' rows, in order, to `output`; false (nothing written) when it cannot. */
export function concatParquet(files: string[], output: string): boolean {
  const out = fs.openSync(output, "w");
  let done = false;
  try {
    fs.writeSync(out, MAGIC);
    done = assembleParquet(
      out,
      4,
      files.map((file) => ({ file })),
    );
    return done;
  } finally {
    fs.closeSync(out);
    if (!done) fs.rmSync(output, { force: true });
  }
}
