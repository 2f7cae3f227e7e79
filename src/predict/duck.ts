/** DuckDB at the edge: one in-process database per run, and its errors as UserErrors naming the file. */
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { UserError } from "../errors.js";

export interface Duck {
  instance: DuckDBInstance;
  /** Reads the input: a streaming result lives here while parts are written on `writer`. */
  conn: DuckDBConnection;
  /** Buffers parts (a query on `conn` would end the open stream). */
  writer: DuckDBConnection;
  /** Writes a full part to Parquet while the next one fills on `writer`. */
  copier: DuckDBConnection;
  close(): void;
}

export async function openDuck(threads = 2): Promise<Duck> {
  // Insertion order is what makes row numbers, resume offsets and shards deterministic.
  const instance = await DuckDBInstance.create(":memory:", {
    threads: String(threads),
    preserve_insertion_order: "true",
  });
  const conn = await instance.connect();
  const writer = await instance.connect();
  const copier = await instance.connect();
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
