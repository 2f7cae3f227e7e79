/** A temp folder and an in-memory DuckDB connection for a test file, made before and removed after. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";

export interface DuckDir {
  /** The connection (valid inside tests and hooks). */
  readonly conn: DuckDBConnection;
  /** A path in the temp folder. */
  f(name: string): string;
}

export function useDuckDir(prefix: string): DuckDir {
  let dir = "";
  let inst: DuckDBInstance | undefined;
  let conn: DuckDBConnection | undefined;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    inst = await DuckDBInstance.create(":memory:");
    conn = await inst.connect();
  });
  afterAll(() => {
    conn?.closeSync();
    inst?.closeSync();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    get conn() {
      return conn!;
    },
    f: (name) => path.join(dir, name),
  };
}
