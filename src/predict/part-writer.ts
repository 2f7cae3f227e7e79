/**
 * Predictions → parts → the output. Plain numeric columns are held as the typed arrays they came in
 * and written as Parquet directly (parquet-part.ts): for a Parquet output, appended to one data file
 * that becomes the output (DATA_FILE), else as a part file. Other rows collect in an in-memory DuckDB
 * table (appended a data chunk at a time) and a full part is COPYed in the output's format. A part file
 * is written under a temp name and renamed, then recorded in the manifest. At the end the parts are
 * joined into the output as bytes where they can be, else streamed through DuckDB (finalize).
 */
import fs from "node:fs";
import path from "node:path";
import type { DuckDBAppender, DuckDBValue, DuckDBVector } from "@duckdb/node-api";
import { duckdb } from "./duckdb-api.js";
import type { NumericArray } from "../onnx/tensor.js";
import type { Tensor } from "../serve/datatypes.js";
import { writeFileAtomic } from "../write-atomic.js";
import type { DuckRef } from "./source.js";
import type { Batch } from "./features.js";
import { copyOptions, sqlIdent, sqlString, type OutputFormat } from "./formats.js";
import { UserError } from "../errors.js";
import { assembleParquet, concatParquet, MAGIC, thriftBytes, type AssemblyPart } from "./parquet-concat.js";
import {
  appendParquetPart,
  fits,
  templateFor,
  writeParquetPart,
  type PartTemplate,
  type Segment,
} from "./parquet-part.js";
import { DATA_FILE, dataEnd, MANIFEST, partName, writeManifest, type Manifest } from "./manifest.js";
import { ThriftReader, type ThriftStruct } from "./thrift-compact.js";
import {
  bufferTableSql,
  bufferTypes,
  outputTypeId,
  partSelectSql,
  type OutputColumn,
  type OutputSchema,
} from "./output-schema.js";

const BUF = "predict_buffer";
/** --keep column types a directly written part carries as they are in memory. */
const PLAIN_NUMBERS = new Set([
  "TINYINT",
  "SMALLINT",
  "INTEGER",
  "BIGINT",
  "UTINYINT",
  "USMALLINT",
  "UINTEGER",
  "UBIGINT",
  "FLOAT",
  "DOUBLE",
]);
const CHUNK = 2048;

export class PartWriter {
  private appender?: DuckDBAppender;
  private read = 0;
  private written = 0;
  private rejects: string[] = [];
  private tables = 0;
  /** The DuckDB buffer table rows go to when parts are not written directly (DuckDB opened then). */
  private table?: string;
  /** The part being written to Parquet while the next one fills (at most one). */
  private writing?: Promise<void>;
  /**
   * Parquet parts of plain numeric columns are written from the typed arrays (parquet-part.ts) under
   * the schema DuckDB gives an empty part (templateFor): undefined until the first part is opened, null
   * when the columns do not allow it (or a batch did not: a NULL in a --keep column), for the rest of
   * the run.
   */
  private template?: PartTemplate | null;
  /** The pending rows, kept as they came while parts are written directly. */
  private direct?: { keep: NumericArray[]; outputs: Record<string, Tensor>; rows: number }[];

  constructor(
    private readonly getDuck: DuckRef,
    readonly dir: string,
    private readonly schema: OutputSchema,
    private readonly manifest: Manifest,
    /** Told about each part once the manifest lists it. */
    private readonly onPart: (index: number) => void = () => {},
    /** Parts in the output's own format are joined without re-encoding at the end (finalize). */
    private readonly partFormat: PartFormat = "parquet",
    /** --compress: every Parquet part through DuckDB, zstd-compressed. */
    private readonly compress = false,
    /**
     * The output is Parquet: direct parts append their column data to one file (DATA_FILE) that
     * becomes the output, instead of each being a file that finalize copies into it.
     */
    private readonly oneFile = false,
  ) {}

  /** DATA_FILE, open, and where its column data ends. */
  private data?: { fd: number; end: number };

  /**
   * DATA_FILE, opened on the first direct part: new (the magic alone) when no part was appended to it,
   * else cut back to where the manifest's last such part ends (a part being appended when the run was
   * killed is not listed, and is written again).
   */
  private dataFile(): { fd: number; end: number } {
    if (this.data) return this.data;
    const file = path.join(this.dir, DATA_FILE);
    const end = dataEnd(this.manifest);
    if (end === undefined) {
      const fd = fs.openSync(file, "w+");
      fs.writeSync(fd, MAGIC, 0, MAGIC.length, 0);
      return (this.data = { fd, end: MAGIC.length });
    }
    return (this.data = { fd: openDataFile(file, end), end });
  }

  /** The next part: held as typed arrays when parts are written directly, else a DuckDB buffer table. */
  async open(): Promise<void> {
    if (this.template === undefined) this.template = this.makeTemplate();
    this.direct = this.template ? [] : undefined;
    if (!this.template) await this.openBuffer();
  }

  /** A fresh buffer table: DELETE would keep the rows' storage (an in-memory database never checkpoints). */
  private async openBuffer(): Promise<void> {
    const duck = await this.getDuck();
    this.table = `${BUF}_${this.tables++}`;
    await duck.writer.run(`DROP TABLE IF EXISTS ${this.table}`);
    await duck.writer.run(bufferTableSql(this.table, this.schema));
    this.appender = await duck.writer.createAppender(this.table);
  }

  /** The direct parts' schema, when every column is one a part can take (else null: DuckDB's parts). */
  private makeTemplate(): PartTemplate | null {
    // Plain numbers only: dates, times and the like have a Parquet encoding of their own (units).
    if (
      this.compress ||
      this.partFormat !== "parquet" ||
      !this.schema.keep.every((k) => PLAIN_NUMBERS.has(k.type.toString()))
    )
      return null;
    return (
      templateFor([
        ...this.schema.keep.map((k) => ({ name: k.name, typeId: k.type.typeId, list: false })),
        ...this.schema.outputs.map((o) => ({
          name: o.name,
          typeId: outputTypeId(o.datatype),
          list: o.width !== 1,
        })),
      ]) ?? null
    );
  }

  /** Waits for the part being written, if any (and throws its error). */
  async settle(): Promise<void> {
    const w = this.writing;
    this.writing = undefined;
    await w;
  }

  /** Rows in the part being filled. */
  get pending(): number {
    return this.read;
  }

  async add(batch: Batch, outputs: Record<string, Tensor>): Promise<void> {
    this.read += batch.read;
    this.written += batch.rows;
    for (const r of batch.rejects) this.rejects.push(JSON.stringify(r));
    if (this.direct) {
      const keep = this.directKeep(batch.keep, batch.rows);
      if (keep && this.fitsDirect(keep, outputs, batch.rows)) {
        if (batch.rows > 0) this.direct.push({ keep, outputs, rows: batch.rows });
        return;
      }
      // From here on DuckDB writes the parts: the rows held so far go to its buffer first, in order.
      const held = this.direct;
      this.direct = undefined;
      this.template = null;
      await this.openBuffer();
      for (const b of held) this.append(b.keep, b.outputs, b.rows);
    }
    this.append(batch.keep, outputs, batch.rows);
  }

  /**
   * The --keep columns as typed arrays: as they came, or (a column DuckDB handed over with a validity
   * mask arrives as plain values) converted when every value is a number of the template's kind; else
   * undefined (a NULL, a string: DuckDB writes the part).
   */
  private directKeep(keep: Batch["keep"], rows: number): NumericArray[] | undefined {
    const out: NumericArray[] = [];
    for (let c = 0; c < keep.length; c++) {
      const values = keep[c];
      if (ArrayBuffer.isView(values) || rows === 0) {
        out.push(values as NumericArray);
        continue;
      }
      const physical = this.template!.leaves[c].physical;
      const type = this.schema.keep[c].type.toString();
      const big = physical === 2;
      if (
        values.length !== rows ||
        !values.every((v) => (big ? typeof v === "bigint" : typeof v === "number"))
      )
        return undefined;
      // INT32 holds every integer type up to 32 bits (UINTEGER as its bits); one outside is a surprise.
      const lo = type === "UINTEGER" ? 0 : -(2 ** 31);
      const hi = type === "UINTEGER" ? 2 ** 32 - 1 : 2 ** 31 - 1;
      if (
        physical === 1 &&
        !values.every((v) => Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi)
      )
        return undefined;
      // The array DuckDB's own vector would hold, so that a hand-over to DuckDB copies them in bulk.
      out.push(
        physical === 1
          ? type === "UINTEGER"
            ? Uint32Array.from(values as number[])
            : Int32Array.from(values as number[])
          : big
            ? type === "UBIGINT"
              ? BigUint64Array.from(values as bigint[])
              : BigInt64Array.from(values as bigint[])
            : physical === 4
              ? Float32Array.from(values as number[])
              : Float64Array.from(values as number[]),
      );
    }
    return out;
  }

  /** Every column of these rows is a typed array of the template's type for it. */
  private fitsDirect(keep: NumericArray[], outputs: Record<string, Tensor>, rows: number): boolean {
    if (rows === 0) return true;
    const leaves = this.template!.leaves;
    const k = this.schema.keep.length;
    for (let c = 0; c < k; c++) {
      const values = keep[c];
      if (!ArrayBuffer.isView(values) || values.length !== rows || !fits(leaves[c], values, 1)) return false;
    }
    return this.schema.outputs.every((o, j) => {
      const data = outputs[o.name]?.data;
      if (!ArrayBuffer.isView(data)) return false;
      const width = data.length / rows;
      return Number.isInteger(width) && fits(leaves[k + j], data as NumericArray, width);
    });
  }

  /** Rows into the DuckDB buffer table, a data chunk at a time. */
  private append(keep: Batch["keep"], outputs: Record<string, Tensor>, rows: number): void {
    const types = bufferTypes(this.schema);
    const k = this.schema.keep.length;
    for (let start = 0; start < rows; start += CHUNK) {
      const n = Math.min(CHUNK, rows - start);
      const chunk = duckdb().DuckDBDataChunk.create(types, n);
      for (let c = 0; c < k; c++) {
        const v = chunk.getColumnVector(c);
        const values = keep[c];
        if (!(ArrayBuffer.isView(values) && bulkSet(v, values, start, n)))
          for (let i = 0; i < n; i++) v.setItem(i, values[start + i] as DuckDBValue);
        v.flush();
      }
      this.schema.outputs.forEach((o, j) => {
        const v = chunk.getColumnVector(k + j);
        const t = outputs[o.name];
        const width = t.data.length / rows;
        const bulk = o.width !== undefined && o.datatype !== "BOOL";
        if (!(bulk && bulkSet(v, t.data as NumericArray, start * width, n * width)))
          setRows(v, o, t, start, n, width);
        v.flush();
      });
      this.appender!.appendDataChunk(chunk);
    }
  }

  /**
   * Hands the pending rows over as the next part and starts a new buffer; the part is written and
   * recorded in the background while rows keep flowing (a Parquet COPY used to stall the workers).
   * Parts are still recorded one at a time, in order, each after its file is renamed into place.
   */
  async commit(force = false): Promise<void> {
    if (this.read === 0 && !force) return;
    await this.settle();
    const direct = this.direct && this.direct.length > 0 ? this.direct : undefined;
    // A part with no rows to write (all rejected, or an empty input) is DuckDB's, as it always was.
    if (!direct && !this.appender) await this.openBuffer();
    this.appender?.closeSync();
    this.appender = undefined;
    const table = direct ? undefined : this.table;
    const part = { read: this.read, written: this.written, rejects: this.rejects };
    this.read = 0;
    this.written = 0;
    this.rejects = [];
    await this.open();
    this.writing = this.writePart(table, part, direct);
    this.writing.catch(() => {}); // surfaced by the next settle()
  }

  private async writePart(
    table: string | undefined,
    part: { read: number; written: number; rejects: string[] },
    direct?: { keep: NumericArray[]; outputs: Record<string, Tensor>; rows: number }[],
  ): Promise<void> {
    const index = this.manifest.parts.length;
    // Appended to DATA_FILE while every part so far was (so that such parts stay a prefix).
    const append = direct && this.oneFile && this.manifest.parts.every((p) => p.end !== undefined);
    const name = `${partName(index)}.${append ? "footer" : this.partFormat}`;
    const tmp = path.join(this.dir, `.${name}.tmp`);
    // The output's options (codec, header): the output is these parts joined as they are. A CSV
    // header is written by the first part only.
    const options =
      this.partFormat === "csv" ? `(FORMAT csv, HEADER ${index === 0})` : copyOptions(this.partFormat);
    let end: number | undefined;
    if (append) {
      const d = this.dataFile();
      const r = appendParquetPart(d.fd, d.end, this.template!, this.directColumns(direct), part.written);
      fs.writeFileSync(tmp, thriftBytes(r.meta));
      end = d.end = r.end;
    } else if (direct) writeParquetPart(tmp, this.template!, this.directColumns(direct), part.written);
    else
      await (
        await this.getDuck()
      ).copier.run(`COPY (${partSelectSql(table!, this.schema)}) TO ${sqlString(tmp)} ${options}`);
    fs.renameSync(tmp, path.join(this.dir, name));
    let rejects: string | undefined;
    if (part.rejects.length > 0) {
      rejects = `${partName(index)}.rejects.jsonl`;
      writeFileAtomic(path.join(this.dir, rejects), part.rejects.join("\n") + "\n");
    }
    this.manifest.parts.push({
      file: name,
      ...(end !== undefined ? { end } : {}),
      ...(rejects ? { rejects } : {}),
      read: part.read,
      written: part.written,
      rejected: part.rejects.length,
    });
    writeManifest(this.dir, this.manifest);
    if (table) await (await this.getDuck()).copier.run(`DROP TABLE ${table}`);
    this.onPart(index);
  }

  /** The held rows as the columns of a direct part (see parquet-part.ts). */
  private directColumns(
    held: { keep: NumericArray[]; outputs: Record<string, Tensor>; rows: number }[],
  ): Segment[][] {
    return [
      ...this.schema.keep.map((_, c) => held.map((b) => ({ data: b.keep[c], rows: b.rows, width: 1 }))),
      ...this.schema.outputs.map((o) =>
        held.map((b) => {
          const data = b.outputs[o.name].data as NumericArray;
          return { data, rows: b.rows, width: data.length / b.rows };
        }),
      ),
    ];
  }

  close(): void {
    this.appender?.closeSync();
    this.appender = undefined;
    if (this.data) fs.closeSync(this.data.fd);
    this.data = undefined;
  }
}

/**
 * Fixed-width numeric outputs: one TypedArray.set into the vector's memory (the scalar vector itself,
 * or an ARRAY vector's child). DuckDB marks those fields private; when they are not there (another
 * release), the row-by-row path below does the same work.
 */
function bulkSet(vector: unknown, data: NumericArray, from: number, count: number): boolean {
  const v = vector as { items?: unknown; childData?: { items?: unknown } };
  const items = v.items ?? v.childData?.items;
  if (!ArrayBuffer.isView(items) || items.constructor !== data.constructor) return false;
  const dst = items as Float32Array;
  if (dst.length < count) return false;
  dst.set((data as Float32Array).subarray(from, from + count));
  return true;
}

function setRows(v: DuckDBVector, o: OutputColumn, t: Tensor, start: number, n: number, width: number): void {
  const bool = o.datatype === "BOOL";
  for (let i = 0; i < n; i++) {
    const at = (start + i) * width;
    if (o.width === 1) v.setItem(i, (bool ? t.data[at] !== 0 : t.data[at]) as DuckDBValue);
    else {
      const row = (t.data as Float32Array).subarray(at, at + width);
      const items = bool ? Array.from(row, (x) => x !== 0) : row;
      // ARRAY vectors read .items element by element; lists need a real list value.
      v.setItem(
        i,
        (o.width === undefined
          ? duckdb().listValue(Array.from(items as ArrayLike<number | boolean>))
          : { items }) as DuckDBValue,
      );
    }
  }
}

export interface FinalTarget {
  output: string;
  format: OutputFormat;
  table: string;
  rejects: string;
}

export type PartFormat = "parquet" | "csv" | "jsonl";

/**
 * Parts are written in the output's format (a DuckDB table's parts are Parquet), or in the format of
 * the parts an interrupted run left, so that one run's parts never mix formats.
 */
export function partFormatFor(output: OutputFormat, manifest: Manifest): PartFormat {
  const first = manifest.parts[0];
  if (first?.end !== undefined) return "parquet";
  if (first) return path.extname(first.file).slice(1) as PartFormat;
  return output === "duckdb" ? "parquet" : output;
}

/**
 * Joins every part, in order, into the output (temp name, then rename), and gathers the rejects.
 * Parts in the output's format are joined as bytes (Parquet: the footers merged; CSV and JSON Lines:
 * the files one after the other; one part: a hard link). Otherwise (a DuckDB table, or Parquet parts
 * an older run left for another format) DuckDB streams the parts into the output.
 */
export async function finalize(
  getDuck: DuckRef,
  dir: string,
  manifest: Manifest,
  t: FinalTarget,
): Promise<void> {
  if (dataEnd(manifest) !== undefined) await finalizeDataFile(getDuck, dir, manifest, t);
  else await finalizeParts(getDuck, dir, manifest, t);
  const rejectFiles = manifest.parts.filter((p) => p.rejects).map((p) => path.join(dir, p.rejects!));
  if (rejectFiles.length > 0)
    writeFileAtomic(t.rejects, rejectFiles.map((f) => fs.readFileSync(f, "utf8")).join(""));
  else fs.rmSync(t.rejects, { force: true });
}

/**
 * A Parquet output whose first parts were appended to DATA_FILE: the parts after them (written by
 * DuckDB) are copied to its end, one footer lists every row group in order, and DATA_FILE is renamed
 * over the output; no byte of the direct parts is copied. The manifest is removed first, so a run
 * killed in between is not resumed from parts that are gone (it starts over).
 */
async function finalizeDataFile(
  getDuck: DuckRef,
  dir: string,
  manifest: Manifest,
  t: FinalTarget,
): Promise<void> {
  const file = path.join(dir, DATA_FILE);
  const end = dataEnd(manifest)!;
  const parts: AssemblyPart[] = manifest.parts.map((p) =>
    p.end !== undefined ? { meta: readMeta(path.join(dir, p.file)) } : { file: path.join(dir, p.file) },
  );
  const fd = openDataFile(file, end);
  let joined: boolean;
  try {
    joined = assembleParquet(fd, end, parts);
    // Not joinable as bytes (DuckDB's parts with another schema: not expected): the data file alone
    // is made a Parquet file of the direct parts, and DuckDB reads it and the rest, in order.
    if (
      !joined &&
      !assembleParquet(
        fd,
        end,
        parts.filter((p) => "meta" in p),
      )
    )
      throw new Error(`${file}: the direct parts cannot be joined`);
  } finally {
    fs.closeSync(fd);
  }
  fs.mkdirSync(path.dirname(path.resolve(t.output)), { recursive: true });
  if (!joined) {
    const rest = manifest.parts.filter((p) => p.end === undefined).map((p) => path.join(dir, p.file));
    const all = `SELECT * FROM read_parquet([${[file, ...rest].map(sqlString).join(", ")}])`;
    const tmp = path.join(dir, `.output.tmp`);
    const duck = await getDuck();
    await duck.conn.run(`COPY (${all}) TO ${sqlString(tmp)} ${copyOptions("parquet")}`);
    fs.rmSync(path.join(dir, MANIFEST), { force: true });
    fs.renameSync(tmp, t.output);
    return;
  }
  fs.rmSync(path.join(dir, MANIFEST), { force: true });
  fs.renameSync(file, t.output);
}

/** A direct part's footer file (a FileMetaData). */
function readMeta(file: string): ThriftStruct {
  return new ThriftReader(fs.readFileSync(file)).struct();
}

/** DATA_FILE opened for writing and cut back to `end`; a clear error when it is missing or short. */
function openDataFile(file: string, end: number): number {
  let fd: number;
  try {
    fd = fs.openSync(file, "r+");
  } catch {
    throw new UserError(`${file} is missing: the interrupted run's parts cannot be resumed`, {
      hint: "pass --restart to discard the interrupted run and start over",
    });
  }
  const size = fs.fstatSync(fd).size;
  if (size < end) {
    fs.closeSync(fd);
    throw new UserError(`${file} holds ${size} bytes, fewer than the ${end} its manifest lists`, {
      hint: "pass --restart to discard the interrupted run and start over",
    });
  }
  fs.ftruncateSync(fd, end);
  return fd;
}

async function finalizeParts(
  getDuck: DuckRef,
  dir: string,
  manifest: Manifest,
  t: FinalTarget,
): Promise<void> {
  const files = manifest.parts.map((p) => path.join(dir, p.file));
  const all = `SELECT * FROM read_parquet([${files.map(sqlString).join(", ")}])`;
  if (t.format === "duckdb") {
    const duck = await getDuck();
    // One transaction: readers of the database see the old table or the whole new one.
    await duck.conn.run(`ATTACH ${sqlString(t.output)} AS dst`);
    try {
      await duck.conn.run("BEGIN");
      await duck.conn.run(`CREATE OR REPLACE TABLE dst.${sqlIdent(t.table)} AS ${all}`);
      await duck.conn.run("COMMIT");
    } finally {
      await duck.conn.run("DETACH dst");
    }
  } else {
    fs.mkdirSync(path.dirname(path.resolve(t.output)), { recursive: true });
    const tmp = path.join(
      path.dirname(path.resolve(t.output)),
      `.${path.basename(t.output)}.${process.pid}.tmp`,
    );
    fs.rmSync(tmp, { force: true });
    const same = files.length > 0 && files.every((f) => path.extname(f) === `.${t.format}`);
    if (!(same && joinParts(files, tmp, t.format))) {
      fs.rmSync(tmp, { force: true });
      const duck = await getDuck();
      await duck.conn.run(`COPY (${all}) TO ${sqlString(tmp)} ${copyOptions(t.format)}`);
    }
    fs.renameSync(tmp, t.output);
  }
}

/** The parts as one file at `tmp` without re-encoding; false when DuckDB has to do it. */
function joinParts(files: string[], tmp: string, format: OutputFormat): boolean {
  if (files.length === 1)
    try {
      // The part stays listed in the manifest until the folder is removed, so it is linked, not moved.
      fs.linkSync(files[0], tmp);
      return true;
    } catch {
      // another file system, or no hard links: copied below
    }
  try {
    if (format === "parquet") return concatParquet(files, tmp);
    const out = fs.openSync(tmp, "w");
    try {
      for (const f of files) {
        const data = fs.readFileSync(f); // one part: a few MiB
        fs.writeSync(out, data, 0, data.length);
      }
    } finally {
      fs.closeSync(out);
    }
    return true;
  } catch {
    return false; // an I/O error part-way: DuckDB gets its turn (and reports it if it fails too)
  }
}
