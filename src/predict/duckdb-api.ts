/**
 * @duckdb/node-api through require() rather than import: the package is CommonJS, 187 files that
 * re-export one another, and importing it from an ES module makes Node lex every one of them for
 * named exports before loading it. That was ~210 ms of every `mlpack predict` start, on the main
 * thread, before the first row was read; require() takes ~90 ms. The predict modules import DuckDB's
 * values from here (types still come from the package itself).
 */
import { createRequire } from "node:module";
import type * as DuckDB from "@duckdb/node-api";

const duckdb = createRequire(import.meta.url)("@duckdb/node-api") as typeof DuckDB;

export const {
  ARRAY,
  BIGINT,
  BOOLEAN,
  DOUBLE,
  FLOAT,
  INTEGER,
  LIST,
  listValue,
  SMALLINT,
  TINYINT,
  UBIGINT,
  UINTEGER,
  USMALLINT,
  UTINYINT,
} = duckdb;

// The classes, as values and as types, like the package's own exports.
export const { DuckDBDataChunk, DuckDBInstance, DuckDBListType } = duckdb;
export type DuckDBDataChunk = DuckDB.DuckDBDataChunk;
export type DuckDBInstance = DuckDB.DuckDBInstance;
export type DuckDBListType = DuckDB.DuckDBListType;
