/** The columns of the predictions: --keep columns as read, then one column per model output. */
import type { DuckDBType } from "@duckdb/node-api";
import { duckdb } from "./duckdb-api.js";
import { UserError } from "../errors.js";
import type { OipDatatype } from "../serve/datatypes.js";
import type { TensorSpec } from "../serve/model-info.js";
import { ColumnTypeOf, type ColumnInfo, type ColumnType } from "./columns.js";
import { DUCK } from "./parquet-read.js";
import { sqlIdent } from "./formats.js";

export interface OutputColumn {
  name: string;
  datatype: OipDatatype;
  /** Values per row: 1 is a scalar column; undefined when the model leaves it symbolic (a list). */
  width?: number;
}

export interface OutputSchema {
  keep: ColumnInfo[];
  outputs: OutputColumn[];
}

/** DuckDB's type id for each output datatype mlpack predict writes. */
const BASE: Partial<Record<OipDatatype, number>> = {
  FP32: DUCK.FLOAT,
  FP64: DUCK.DOUBLE,
  INT64: DUCK.BIGINT,
  INT32: DUCK.INTEGER,
  INT16: DUCK.SMALLINT,
  INT8: DUCK.TINYINT,
  UINT64: DUCK.UBIGINT,
  UINT32: DUCK.UINTEGER,
  UINT16: DUCK.USMALLINT,
  UINT8: DUCK.UTINYINT,
  BOOL: DUCK.BOOLEAN,
};

/** DuckDB's type id of an output's values (a datatype outputColumns took). */
export const outputTypeId = (d: OipDatatype): number => BASE[d]!;

/**
 * DuckDB's type object for a type (DuckDB loaded here: only the DuckDB buffer path needs these). A
 * plain type's text is the name of DuckDB's constant for it (FLOAT, UBIGINT, ...).
 */
function duckType(t: ColumnType): DuckDBType {
  if (!(t instanceof ColumnTypeOf)) return t as DuckDBType;
  const d = duckdb();
  if (t.valueType) return d.LIST(duckType(t.valueType));
  return d[t.toString() as keyof typeof d] as DuckDBType;
}

export function outputColumns(outputs: TensorSpec[], keep: ColumnInfo[]): OutputColumn[] {
  return outputs.map((o) => {
    if (!BASE[o.datatype])
      throw new UserError(
        `model output "${o.name}" is ${o.datatype}; mlpack predict writes numeric and boolean outputs`,
        {
          hint: "cast the output to float32 in the model",
        },
      );
    if (keep.some((k) => k.name === o.name))
      throw new UserError(`--keep ${o.name}: the model has an output of the same name`, {
        hint: "rename it with --select",
      });
    const rest = o.shape?.slice(1) ?? [null];
    const width = rest.every((d): d is number => typeof d === "number")
      ? rest.reduce((a, b) => a * b, 1)
      : undefined;
    return { name: o.name, datatype: o.datatype, width };
  });
}

/** Column types of the buffer table: fixed-width outputs as ARRAY (filled from typed arrays in bulk). */
export function bufferTypes(s: OutputSchema): DuckDBType[] {
  const d = duckdb();
  return [
    ...s.keep.map((k) => duckType(k.type)),
    ...s.outputs.map((o) => {
      const base = duckType(new ColumnTypeOf(BASE[o.datatype]!));
      return o.width === 1 ? base : o.width === undefined ? d.LIST(base) : d.ARRAY(base, o.width);
    }),
  ];
}

export function bufferTableSql(table: string, s: OutputSchema): string {
  const types = bufferTypes(s);
  const names = [...s.keep.map((k) => k.name), ...s.outputs.map((o) => o.name)];
  return `CREATE TABLE ${table} (${names.map((n, i) => `${sqlIdent(n)} ${types[i].toString()}`).join(", ")})`;
}

/** The buffer as written to a part: arrays become lists, which every output format carries. */
export function partSelectSql(table: string, s: OutputSchema): string {
  const cols = [
    ...s.keep.map((k) => sqlIdent(k.name)),
    ...s.outputs.map((o) =>
      o.width !== undefined && o.width > 1
        ? `CAST(${sqlIdent(o.name)} AS ${new ColumnTypeOf(BASE[o.datatype]!).toString()}[]) AS ${sqlIdent(o.name)}`
        : sqlIdent(o.name),
    ),
  ];
  return `SELECT ${cols.join(", ")} FROM ${table}`;
}
