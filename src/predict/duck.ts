/** DuckDB at the edge: one in-process database per run, and its errors as UserErrors naming the file. */
import type { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { duckdb } from "./duckdb-api.js";
import { UserError } from "../errors.js";

export interface Duck {
  instance: DuckDBInstance;
  /** Reads the input: a streaming result lives here while parts are written on `writer`. */
  conn: DuckDBConnection;
  /**
   * Buffers parts (a query on `conn` would end the open stream). On a database of its own: the input's
   * streaming query is one transaction for the whole file, and while it is open DuckDB keeps every
   * table dropped after it began (MVCC), so each part's buffer table used to stay in memory to the end
   * (about 9 MiB a part: peak RSS grew with the input).
   */
  writer: DuckDBConnection;
  /** Writes a full part to Parquet while the next one fills on `writer` (same database as `writer`). */
  copier: DuckDBConnection;
  close(): void;
}

/**
 * One DuckDB thread by default: the model's worker needs the other core of a small machine, and each
 * extra thread decodes (and holds) a row group of its own. DuckDB is built here without jemalloc, and
 * glibc keeps what it frees until told to trim: the flush thresholds make DuckDB trim after every 16 MB
 * freed instead of 128/512 MB (peak RSS on 1M rows of 64 floats: 452 -> 415 MiB, 2M: 512 -> 431 MiB).
 */
export async function openDuck(threads = 1): Promise<Duck> {
  // Insertion order is what makes row numbers, resume offsets and shards deterministic.
  const settings = {
    threads: String(threads),
    preserve_insertion_order: "true",
    allocator_flush_threshold: "16MB",
    allocator_bulk_deallocation_flush_threshold: "16MB",
  };
  const { DuckDBInstance } = duckdb();
  const instance = await DuckDBInstance.create(":memory:", settings);
  const parts = await DuckDBInstance.create(":memory:", settings);
  const conn = await instance.connect();
  const writer = await parts.connect();
  const copier = await parts.connect();
  return {
    instance,
    conn,
    writer,
    copier,
    close: () => {
      conn.closeSync();
      writer.closeSync();
      copier.closeSync();
      instance.closeSync();
      parts.closeSync();
    },
  };
}

/** DuckDB's message, first line, without its "Error:" prefix noise. */
export function duckMessage(e: unknown): string {
  return String((e as Error)?.message ?? e)
    .split("\n")
    .filter((l) => l.trim() !== "")
    .slice(0, 2)
    .join(" ");
}

export function readError(file: string, e: unknown, where = ""): UserError {
  return new UserError(`${file}${where}: cannot read: ${duckMessage(e)}`, {
    hint: "check that the file is complete and in the format its extension says (a corrupt or truncated file cannot be predicted on)",
  });
}
