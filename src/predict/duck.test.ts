import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DuckDBDataChunk, FLOAT, LIST, type DuckDBConnection } from "@duckdb/node-api";
import { openDuck, type Duck } from "./duck.js";

/** MiB DuckDB holds for in-memory tables, by its own accounting. */
async function tableMiB(c: DuckDBConnection): Promise<number> {
  const r = await c.runAndReadAll(
    "SELECT coalesce(sum(memory_usage_bytes), 0)::BIGINT FROM duckdb_memory() WHERE tag = 'IN_MEMORY_TABLE'",
  );
  return Number(r.getRows()[0][0]) / 2 ** 20;
}

describe("openDuck", () => {
  let duck: Duck | undefined;
  let dir: string | undefined;
  afterEach(() => {
    duck?.close();
    duck = undefined;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("frees each part's buffer table while the input is still being streamed", async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlpack-duck-"));
    const input = path.join(dir, "in.parquet");
    duck = await openDuck();
    await duck.conn.run(
      `COPY (SELECT i AS id, [i * 0.5 + k for k in range(8)]::FLOAT[] AS x FROM range(100000) t(i)) TO '${input}' (FORMAT parquet)`,
    );
    // The input's stream is one transaction from its first row to its last.
    const stream = await duck.conn.stream(`SELECT * FROM read_parquet('${input}')`);
    await stream.fetchChunk();
    // Parts as PartWriter makes them: a table filled by an appender, copied out, dropped. When the
    // buffers shared the reader's database, DuckDB kept every dropped one for the open stream's sake
    // (MVCC), and peak RSS grew with the input.
    const held: number[] = [];
    for (let p = 0; p < 4; p++) {
      await duck.writer.run(`CREATE TABLE buf_${p} (o FLOAT[])`);
      const appender = await duck.writer.createAppender(`buf_${p}`);
      for (let c = 0; c < 100; c++) {
        const chunk = DuckDBDataChunk.create([LIST(FLOAT)], 2048);
        const v = chunk.getColumnVector(0);
        for (let i = 0; i < 2048; i++) v.setItem(i, null);
        v.flush();
        appender.appendDataChunk(chunk);
      }
      appender.closeSync();
      await duck.copier.run(
        `COPY (SELECT * FROM buf_${p}) TO '${path.join(dir, `part-${p}.parquet`)}' (FORMAT parquet)`,
      );
      await duck.copier.run(`DROP TABLE buf_${p}`);
      held.push(await tableMiB(duck.writer));
    }
    expect(held).toEqual([0, 0, 0, 0]);
    expect((await stream.fetchChunk())?.rowCount).toBeGreaterThan(0);
  });
});
