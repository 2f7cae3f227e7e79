/**
 * One chunk of input rows seen column by column, whatever read it (DuckDB or the .npy reader), and the
 * conversion of a cell to numbers. Cells are DuckDB values, JS numbers/strings, or typed arrays.
 */
import type { FlatColumn } from "./flat.js";
import { DUCK } from "./parquet-read.js";

export interface ColumnLike {
  value(row: number): unknown;
  /** The same cells as one typed array, when the column is plain numbers (the fast path). */
  flat?: FlatColumn;
}

export interface Chunk {
  rowCount: number;
  column(index: number): ColumnLike;
}

/**
 * A column's type as DuckDB names it: DuckDB's own type object when DuckDB resolved the input, or a
 * ColumnTypeOf (numbers, booleans and lists of them) when mlpack read it without DuckDB (a Parquet
 * footer, a .npy header). toString() is DuckDB's text for it ("FLOAT[]").
 */
export interface ColumnType {
  readonly typeId: number;
  /** A list's item type. */
  readonly valueType?: ColumnType;
  toString(): string;
}

export interface ColumnInfo {
  name: string;
  /** DuckDB's type (also the output column's type for --keep). */
  type: ColumnType;
}

const NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(DUCK).map(([name, id]) => [id, name]),
);

/** A plain type (a number type, BOOLEAN, or a LIST of one) made without loading DuckDB. */
export class ColumnTypeOf implements ColumnType {
  constructor(
    readonly typeId: number,
    readonly valueType?: ColumnTypeOf,
  ) {
    if (!NAMES[typeId] || (typeId === DUCK.LIST) !== (valueType !== undefined))
      throw new Error(`no plain type ${typeId}`);
  }

  toString(): string {
    return this.valueType ? `${this.valueType.toString()}[]` : NAMES[this.typeId];
  }
}

export const listOf = (t: ColumnTypeOf) => new ColumnTypeOf(DUCK.LIST, t);

/** Cell → the numbers it holds, flattened; a string explains what is wrong. */
export function cellNumbers(v: unknown, out: number[]): string | undefined {
  if (v === null || v === undefined) return "is empty (NULL)";
  if (typeof v === "number") {
    out.push(v);
    return undefined;
  }
  if (typeof v === "bigint") {
    out.push(Number(v));
    return undefined;
  }
  if (typeof v === "boolean") {
    out.push(v ? 1 : 0);
    return undefined;
  }
  if (typeof v === "string") {
    const s = v.trim();
    if (s.startsWith("[")) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(s);
      } catch {
        return `${quote(s)} is not a number or a list of numbers`;
      }
      return cellNumbers(parsed, out);
    }
    const n = s === "" ? NaN : Number(s);
    if (Number.isNaN(n) && s.toLowerCase() !== "nan") return `${quote(s)} is not a number`;
    out.push(n);
    return undefined;
  }
  if (ArrayBuffer.isView(v)) {
    const a = v as unknown as ArrayLike<number | bigint>;
    for (let i = 0; i < a.length; i++) out.push(Number(a[i]));
    return undefined;
  }
  if (Array.isArray(v)) {
    for (const x of v) {
      const bad = cellNumbers(x, out);
      if (bad) return bad;
    }
    return undefined;
  }
  const o = v as { items?: unknown[]; toDouble?: () => number };
  if (Array.isArray(o.items)) return cellNumbers(o.items, out);
  if (typeof o.toDouble === "function") {
    out.push(o.toDouble());
    return undefined;
  }
  return `${quote(String(v))} is not a number`;
}

function quote(s: string): string {
  return JSON.stringify(s.length > 40 ? s.slice(0, 40) + "…" : s);
}

/** A cell as JSON for the rejects file (bigints as strings, DuckDB values by their text). */
export function jsonCell(v: unknown): unknown {
  if (
    v === null ||
    v === undefined ||
    typeof v === "number" ||
    typeof v === "string" ||
    typeof v === "boolean"
  )
    return v ?? null;
  if (typeof v === "bigint") return v.toString();
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>, Number);
  return String(v);
}
