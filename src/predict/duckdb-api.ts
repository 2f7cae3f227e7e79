/**
 * @duckdb/node-api, loaded on first use. Its native module costs ~170 ms of wall time and ~0.29 s of
 * CPU to load (threads included) on this 2-core VM: a Parquet-to-Parquet run without --where/--select
 * reads and writes with mlpack's own code (parquet-read.ts, parquet-part.ts) and never needs it, so no
 * predict module loads it when imported; each use calls duckdb().
 *
 * Through require() rather than import: the package is CommonJS, 187 files that re-export one another,
 * and importing it from an ES module makes Node lex every one of them for named exports before loading
 * it (~210 ms against ~90 ms).
 */
import { createRequire } from "node:module";
import type * as DuckDB from "@duckdb/node-api";

let loaded: typeof DuckDB | undefined;

export function duckdb(): typeof DuckDB {
  return (loaded ??= createRequire(import.meta.url)("@duckdb/node-api") as typeof DuckDB);
}

/** Whether this process has loaded DuckDB (tests check that a plain Parquet run does not). */
export function duckdbLoaded(): boolean {
  return loaded !== undefined;
}
