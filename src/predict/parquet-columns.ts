/**
 * A Parquet file's columns and row count from its footer, typed as DuckDB types them, without DuckDB:
 * a run over a plain Parquet file then starts reading rows while DuckDB would still be loading (~0.17 s
 * of wall time, ~0.29 s of CPU on 2 cores). Only what DuckDB types one way is taken: numbers, booleans
 * (no date, time, decimal or other annotation), and DuckDB's three-level lists of them. Anything else in
 * the file (a string, a struct, a map, a legacy two-level list, duplicate names, a key=value folder on its
 * path) gives undefined and the file is resolved by DuckDB as before; parquet-columns.test.ts checks the types against DuckDB's own.
 */
import fs from "node:fs";
import path from "node:path";
import { ColumnTypeOf, listOf, type ColumnInfo } from "./columns.js";
import { elementName, OPTIONAL, readFooter, REPEATED, REQUIRED } from "./parquet-concat.js";
import { DUCK } from "./parquet-read.js";
import { field, listItems as items, type ThriftStruct } from "./thrift-compact.js";

/** MLPACK_PARQUET_READER=duckdb reads Parquet with DuckDB only (a way around a reader problem). */
export const nativeParquet = () => process.env.MLPACK_PARQUET_READER !== "duckdb";

/** Whether a Parquet input is read whole, with no SQL, by mlpack's own reader when it can be. */
export const readsWhole = (q: { where?: string; select?: string }): boolean =>
  !q.where && !q.select && nativeParquet();

const LIST_CONVERTED = 3;

const num = (s: ThriftStruct, id: number): number | undefined => {
  const v = field(s, id)?.value;
  return v === undefined ? undefined : Number(v);
};

/** ConvertedType's integer annotations: [bits, signed]. */
const CONVERTED_INTS: Record<number, [number, boolean]> = {
  11: [8, false],
  12: [16, false],
  13: [32, false],
  14: [64, false],
  15: [8, true],
  16: [16, true],
  17: [32, true],
  18: [64, true],
};
const INTS: Record<string, number> = {
  "8,true": DUCK.TINYINT,
  "16,true": DUCK.SMALLINT,
  "32,true": DUCK.INTEGER,
  "64,true": DUCK.BIGINT,
  "8,false": DUCK.UTINYINT,
  "16,false": DUCK.USMALLINT,
  "32,false": DUCK.UINTEGER,
  "64,false": DUCK.UBIGINT,
};

/** DuckDB's type id for a primitive leaf, or undefined when it carries anything this does not take. */
function primitive(el: ThriftStruct): number | undefined {
  if ((num(el, 5) ?? 0) !== 0) return undefined;
  const physical = num(el, 1);
  const converted = num(el, 6);
  const logical = field(el, 10)?.value as ThriftStruct | undefined;
  // The one logical type taken: INTEGER(bitWidth, isSigned) beside the same converted type, as
  // pyarrow writes them.
  let int: [number, boolean] | undefined;
  if (logical) {
    const f = logical.fields;
    const i = f.length === 1 && f[0].id === 10 ? (f[0].value as ThriftStruct) : undefined;
    if (!i) return undefined;
    int = [num(i, 1) ?? -1, field(i, 2)?.value === true];
  }
  if (converted !== undefined) {
    const c = CONVERTED_INTS[converted];
    if (!c || (int && (int[0] !== c[0] || int[1] !== c[1]))) return undefined;
    int = c;
  } else if (int) return undefined; // a logical type alone: DuckDB's reading of it varies by version
  switch (physical) {
    case 0: // BOOLEAN
      return int ? undefined : DUCK.BOOLEAN;
    case 1: // INT32
      return int ? (int[0] <= 32 ? INTS[`${int[0]},${int[1]}`] : undefined) : DUCK.INTEGER;
    case 2: // INT64
      return int ? (int[0] === 64 ? INTS[`64,${int[1]}`] : undefined) : DUCK.BIGINT;
    case 4: // FLOAT
      return int ? undefined : DUCK.FLOAT;
    case 5: // DOUBLE
      return int ? undefined : DUCK.DOUBLE;
    default:
      return undefined;
  }
}

/** A list as DuckDB 1.5 tells one: by the converted type (the logical LIST alone reads as a struct). */
const isList = (el: ThriftStruct): boolean => num(el, 6) === LIST_CONVERTED;

/**
 * A folder named key=value on the path: DuckDB reads it as a hive partition column (even for one
 * file), which the footer does not hold.
 */
const hivePartitioned = (file: string): boolean =>
  path
    .resolve(file)
    .split(path.sep)
    .slice(0, -1)
    .some((folder) => folder.includes("="));

/** The file's columns and rows, or undefined when DuckDB has to say (see above). */
export function parquetColumns(file: string): { columns: ColumnInfo[]; rows: number } | undefined {
  if (hivePartitioned(file)) return undefined;
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, "r");
    const { meta } = readFooter(fd, file);
    if (field(meta, 8)) return undefined; // encrypted
    const schema = items(meta, 2);
    if (schema.length === 0) return undefined;
    const top = num(schema[0], 5) ?? 0;
    const columns: ColumnInfo[] = [];
    let at = 1;
    for (let c = 0; c < top; c++) {
      const el = schema[at++];
      if (!el) return undefined;
      const name = elementName(el);
      const repetition = num(el, 3) ?? REQUIRED;
      if (repetition !== REQUIRED && repetition !== OPTIONAL) return undefined;
      const children = num(el, 5) ?? 0;
      if (children === 0) {
        const id = primitive(el);
        if (id === undefined) return undefined;
        columns.push({ name, type: new ColumnTypeOf(id) });
        continue;
      }
      // <name> (LIST) { repeated group { <element> } }: DuckDB's list, and the Parquet spec's.
      const group = schema[at++];
      const leaf = schema[at++];
      if (children !== 1 || !isList(el) || !group || !leaf) return undefined;
      if (num(group, 3) !== REPEATED || num(group, 5) !== 1 || num(group, 1) !== undefined) return undefined;
      // The spec's backward-compatibility rule makes such a group the element itself (a struct).
      const groupName = elementName(group);
      if (groupName === "array" || groupName === `${name}_tuple`) return undefined;
      if ((num(leaf, 3) ?? REQUIRED) === REPEATED) return undefined;
      const id = primitive(leaf);
      if (id === undefined) return undefined;
      columns.push({ name, type: listOf(new ColumnTypeOf(id)) });
    }
    if (at !== schema.length) return undefined;
    const names = new Set(columns.map((c) => c.name.toLowerCase()));
    if (names.size !== columns.length || columns.some((c) => c.name === "")) return undefined;
    const rows = num(meta, 3) ?? -1;
    const groups = items(meta, 4);
    if (rows < 0 || groups.reduce((n, g) => n + (num(g, 3) ?? 0), 0) !== rows) return undefined;
    return { columns, rows };
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
