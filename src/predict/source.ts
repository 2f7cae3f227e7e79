/**
 * The input side: resolve the path or glob to files (sorted, so the order is the same on every run and
 * every shard), learn each file's columns and row count (after --where), and stream a range of rows
 * as chunks, in file order. Row positions are positions in that order; DuckDB keeps insertion order.
 */
import fs from "node:fs";
import path from "node:path";
import type { DuckDBDataChunk } from "@duckdb/node-api";
import { UserError, UsageError } from "../errors.js";
import { statRegularFile } from "../read-regular-file.js";
import { parseNpy, parseNpz, type NpyArray } from "../data/npy.js";
import { DT } from "../onnx/dtypes.js";
import { type Duck, duckMessage, readError } from "./duck.js";
import { inputFormat, isGlob, readerSql, sqlString, type InputFormat } from "./formats.js";
import { ColumnTypeOf, listOf, type Chunk, type ColumnInfo, type ColumnLike } from "./columns.js";
import { flatFromArray, flatFromVector, type FlatColumn } from "./flat.js";
import { DUCK, openParquet, ParquetCorrupt, type ColumnShape } from "./parquet-read.js";
import { parquetColumns, readsWhole } from "./parquet-columns.js";

export interface InputFile {
  path: string;
  format: InputFormat;
  table?: string;
  columns: ColumnInfo[];
  /** Rows after --where. */
  rows: number;
  size: number;
  mtimeMs: number;
}

export interface SourceQuery {
  where?: string;
  select?: string;
  table?: string;
}

const CHUNK = 2048;

/** DuckDB, opened on first use (a plain Parquet run never opens it: see duckdb-api.ts). */
export type DuckRef = () => Promise<Duck>;

export async function resolveInputs(getDuck: DuckRef, pattern: string, q: SourceQuery): Promise<InputFile[]> {
  const files = await expand(getDuck, pattern);
  const out: InputFile[] = [];
  for (const file of files) {
    const format = inputFormat(file);
    // DuckDB would wait forever on a FIFO, and a device has no end: regular files only.
    const st = statRegularFile(file, { maxBytes: Number.MAX_SAFE_INTEGER, what: "data" });
    // A Parquet file read whole, with no SQL: its footer says what DuckDB would (parquet-columns.ts).
    const footer = format === "parquet" && readsWhole(q) ? parquetColumns(file) : undefined;
    if (footer) {
      out.push({ path: file, format, ...footer, size: st.size, mtimeMs: st.mtimeMs });
      continue;
    }
    if (format === "npy" || format === "npz") {
      if (q.where || q.select)
        throw new UsageError(
          `${file}: --where and --select need a table format (Parquet, CSV, JSON Lines, DuckDB)`,
        );
      const arrays = loadNpy(file, format);
      out.push({
        path: file,
        format,
        columns: arrays.columns,
        rows: arrays.rows,
        size: st.size,
        mtimeMs: st.mtimeMs,
      });
      continue;
    }
    const duck = await getDuck();
    await withSource(duck, file, format, async () => {
      const table = format === "duckdb" ? await pickTable(duck, file, q.table) : undefined;
      const sql = selectSql(file, format, table, q);
      let columns: ColumnInfo[];
      let rows: number;
      try {
        const r = await duck.conn.run(`${sql} LIMIT 0`);
        columns = r.columnNames().map((name, i) => ({ name, type: r.columnType(i) }));
        const c = await duck.conn.runAndReadAll(`SELECT count(*) FROM (${sql})`);
        rows = Number(c.getRows()[0][0]);
      } catch (e) {
        if (/Binder Error|Parser Error|Catalog Error/.test(String(e)))
          throw new UsageError(`${file}: --where/--select: ${duckMessage(e)}`, {
            hint: `the columns are named as in the file; run with a simpler filter to check them`,
          });
        throw readError(file, e);
      }
      out.push({ path: file, format, table, columns, rows, size: st.size, mtimeMs: st.mtimeMs });
    });
  }
  return out;
}

async function expand(getDuck: DuckRef, pattern: string): Promise<string[]> {
  if (!isGlob(pattern)) {
    if (!fs.existsSync(pattern))
      throw new UserError(`input ${pattern}: no such file`, {
        hint: "check the path, or quote a glob: --input 'data/*.parquet'",
      });
    return [pattern];
  }
  const duck = await getDuck();
  const r = await duck.conn.runAndReadAll(`SELECT file FROM glob(${sqlString(pattern)})`);
  const files = r
    .getRows()
    .map((row) => String(row[0]))
    .sort();
  if (files.length === 0)
    throw new UserError(`input ${pattern}: the glob matches no files`, {
      hint: "check the pattern and the working directory",
    });
  return files;
}

function selectSql(file: string, format: InputFormat, table: string | undefined, q: SourceQuery): string {
  return `SELECT ${q.select ?? "*"} FROM ${readerSql(file, format, table)}${q.where ? ` WHERE (${q.where})` : ""}`;
}

async function withSource<T>(
  duck: Duck,
  file: string,
  format: InputFormat,
  fn: () => Promise<T>,
): Promise<T> {
  if (format !== "duckdb") return fn();
  try {
    await duck.conn.run(`ATTACH ${sqlString(file)} AS src (READ_ONLY)`);
  } catch (e) {
    throw readError(file, e);
  }
  try {
    return await fn();
  } finally {
    await duck.conn.run("DETACH src");
  }
}

async function pickTable(duck: Duck, file: string, table: string | undefined): Promise<string> {
  const r = await duck.conn.runAndReadAll(
    "SELECT table_name FROM duckdb_tables() WHERE database_name = 'src' ORDER BY table_name",
  );
  const tables = r.getRows().map((row) => String(row[0]));
  if (table && tables.includes(table)) return table;
  if (!table && tables.length === 1) return tables[0];
  throw new UserError(
    table
      ? `${file}: no table "${table}"`
      : `${file}: holds ${tables.length} tables; which one holds the input?`,
    { hint: `pass --input-table with one of: ${tables.join(", ") || "(none)"}` },
  );
}

/** The columns a run reads from a file: model inputs (numbers or lists) and --keep ones (scalars). */
export interface Needed {
  inputs: number[];
  keep: number[];
}

/**
 * Streams rows [offset, offset+limit) of one file as chunks. A Parquet file read whole (no --where or
 * --select) goes through parquet-read.ts when it holds the `needed` columns in a form that reader
 * takes; whatever it cannot take, from the first row it did not yield, DuckDB reads.
 */
export async function* streamFile(
  getDuck: DuckRef,
  file: InputFile,
  q: SourceQuery,
  offset: number,
  limit: number,
  needed?: Needed,
): AsyncGenerator<Chunk> {
  if (limit <= 0) return;
  if (file.format === "npy" || file.format === "npz") {
    yield* npyChunks(loadNpy(file.path, file.format), offset, limit);
    return;
  }
  if (file.format === "parquet" && needed && readsWhole(q)) {
    const pq = openParquet(
      file.path,
      columnShapes(file.columns),
      [...needed.inputs, ...needed.keep],
      new Set(needed.keep),
    );
    if (pq && pq.rows === file.rows) {
      let done = 0;
      try {
        for (const chunk of pq.chunks(offset, limit)) {
          yield chunk;
          done += chunk.rowCount;
        }
      } catch (e) {
        // Pages that disagree with the footer's row counts: corrupt whoever reads it (DuckDB, asked
        // for the rest from a row number, gave empty lists instead of an error).
        if (e instanceof ParquetCorrupt) throw readError(file.path, e);
        // Whatever else stopped this reader (a page it does not take, a corrupt one), DuckDB reads the
        // rest: a file it cannot read gets DuckDB's error, one it can is read whole.
      } finally {
        pq.close();
      }
      // A file whose row groups end before the rows its footer counts goes to DuckDB for the rest too.
      if (done >= limit) return;
      offset += done;
      limit -= done;
    } else pq?.close();
  }
  const duck = await getDuck();
  let attached = false;
  let next: Promise<DuckDBDataChunk | null> | undefined;
  try {
    if (file.format === "duckdb") {
      await duck.conn.run(`ATTACH ${sqlString(file.path)} AS src (READ_ONLY)`);
      attached = true;
    }
    const { sql, skip } = rangeSql(file, q, offset, limit);
    let result;
    try {
      result = await duck.conn.stream(sql);
    } catch (e) {
      throw readError(file.path, e);
    }
    let seen = 0;
    let toSkip = skip;
    let left = limit;
    // One chunk ahead: DuckDB decodes the next chunk (on a libuv thread) while this one is turned
    // into rows on the main thread. A chunk owns its memory, so holding two is safe.
    const fetch = () => {
      const p = result.fetchChunk();
      p.catch(() => {}); // awaited below
      return p;
    };
    next = fetch();
    while (left > 0) {
      let chunk;
      try {
        chunk = await next;
      } catch (e) {
        throw readError(file.path, e, ` after row ${offset + seen}`);
      }
      if (!chunk || chunk.rowCount === 0) {
        next = undefined;
        break;
      }
      const from = Math.min(toSkip, chunk.rowCount);
      toSkip -= from;
      const n = Math.min(chunk.rowCount - from, left);
      seen += n;
      left -= n;
      next = left > 0 ? fetch() : undefined;
      if (n === 0) continue;
      const columns: ColumnLike[] = [];
      const column = (i: number): ColumnLike => {
        if (columns[i]) return columns[i];
        const v = chunk.getColumnVector(i);
        const flat = flatFromVector(v);
        return (columns[i] = {
          value: (r) => v.getItem(r + from),
          ...(flat ? { flat: from === 0 ? flat : shiftFlat(flat, from) } : {}),
        });
      };
      yield { rowCount: n, column };
    }
  } finally {
    // The connection runs one thing at a time: a fetch still under way ends before anything else.
    await next?.catch(() => {});
    if (attached) await duck.conn.run("DETACH src");
  }
}

/**
 * The query for rows [offset, offset+limit) of a file, and how many leading rows to drop on this side.
 * No LIMIT/OFFSET: DuckDB's LIMIT keeps insertion order by collecting the rows first, so a run held
 * the whole input (or shard) in memory before its first batch. A whole file is read as is; a range
 * of a Parquet file without --where is cut by file_row_number, which DuckDB pushes into the scan
 * (row groups outside it are not read); otherwise the leading rows are read and dropped here.
 */
function rangeSql(
  file: InputFile,
  q: SourceQuery,
  offset: number,
  limit: number,
): { sql: string; skip: number } {
  const all = selectSql(file.path, file.format, file.table, q);
  if (offset === 0 && limit >= file.rows) return { sql: all, skip: 0 };
  if (file.format !== "parquet" || q.where) return { sql: all, skip: offset };
  const scan = `read_parquet(${sqlString(file.path)}, file_row_number = true)`;
  const rows = `SELECT * EXCLUDE (file_row_number) FROM ${scan} WHERE file_row_number >= ${offset} AND file_row_number < ${offset + limit}`;
  return { sql: `SELECT ${q.select ?? "*"} FROM (${rows})`, skip: 0 };
}

function shiftFlat(f: FlatColumn, by: number): FlatColumn {
  return {
    data: f.data,
    integer: f.integer,
    start: (r) => f.start(r + by),
    length: (r) => f.length(r + by),
    isNull: (r) => f.isNull(r + by),
    ...(f.hasNullItem ? { hasNullItem: (r: number) => f.hasNullItem!(r + by) } : {}),
    ...(f.run ? { run: (r: number, n: number, w: number) => f.run!(r + by, n, w) } : {}),
  };
}

interface NpyTable {
  rows: number;
  columns: ColumnInfo[];
  arrays: NpyArray[];
}

/** .npy: one column named after the file; .npz: one column per array (all with the same first dim). */
function loadNpy(file: string, format: "npy" | "npz"): NpyTable {
  const bytes = fs.readFileSync(file);
  const named: [string, NpyArray][] =
    format === "npy" ? [[path.basename(file, ".npy"), parseNpy(bytes, file)]] : [...parseNpz(bytes, file)];
  const rows = named[0]?.[1].dims[0] ?? 0;
  for (const [name, a] of named)
    if (a.dims.length === 0 || a.dims[0] !== rows)
      throw new UserError(
        `${file}: array "${name}" has shape [${a.dims.join(",")}]; every array needs ${rows} rows first`,
        {
          hint: "rows are the first dimension of each array",
        },
      );
  return {
    rows,
    columns: named.map(([name, a]) => ({
      name,
      type: a.dims.length === 1 ? npyType(a.dtype) : listOf(npyType(a.dtype)),
    })),
    arrays: named.map(([, a]) => a),
  };
}

function npyType(dtype: number): ColumnTypeOf {
  const t: Record<number, number> = {
    [DT.FLOAT]: DUCK.FLOAT,
    [DT.DOUBLE]: DUCK.DOUBLE,
    [DT.INT64]: DUCK.BIGINT,
    [DT.INT32]: DUCK.INTEGER,
    [DT.INT16]: DUCK.SMALLINT,
    [DT.INT8]: DUCK.TINYINT,
    [DT.UINT8]: DUCK.UTINYINT,
    [DT.UINT16]: DUCK.USMALLINT,
    [DT.UINT32]: DUCK.UINTEGER,
    [DT.UINT64]: DUCK.UBIGINT,
    [DT.BOOL]: DUCK.BOOLEAN,
  };
  return new ColumnTypeOf(t[dtype] ?? DUCK.FLOAT);
}

function* npyChunks(t: NpyTable, offset: number, limit: number): Generator<Chunk> {
  const widths = t.arrays.map((a) => a.dims.slice(1).reduce((x, y) => x * y, 1));
  for (let start = offset; start < offset + limit; start += CHUNK) {
    const base = start;
    const n = Math.min(CHUNK, offset + limit - start);
    yield {
      rowCount: n,
      column: (i) => {
        const a = t.arrays[i];
        const w = widths[i];
        const rows = a.data.subarray(base * w, (base + n) * w);
        return {
          value: (r) => (a.dims.length === 1 ? rows[r] : rows.subarray(r * w, (r + 1) * w)),
          // float16 arrays hold half-precision bits: left to the per-cell path, as before
          ...(a.dtype === DT.FLOAT16
            ? {}
            : { flat: flatFromArray(rows, w, a.dtype === DT.FLOAT || a.dtype === DT.DOUBLE) }),
        };
      },
    };
  }
}

/** DuckDB's column types by id, as parquet-read.ts takes them. */
export function columnShapes(columns: ColumnInfo[]): ColumnShape[] {
  return columns.map((c) => ({
    name: c.name,
    typeId: c.type.typeId,
    ...(c.type.typeId === DUCK.LIST && c.type.valueType ? { listOf: c.type.valueType.typeId } : {}),
  }));
}
