/**
 * The fast paths of `mlpack predict`: numeric DuckDB vectors read as flat typed arrays (lists, arrays,
 * scalars, with and without NULLs), and rows copied from them into the model's input buffer with the
 * same checks as the per-cell path. A DuckDB release that moves the fields this relies on fails here,
 * not silently in the benchmark.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { flatFromVector } from "../src/predict/flat.js";
import { BatchBuilder, type Binding } from "../src/predict/features.js";
import type { Chunk } from "../src/predict/columns.js";
import type { InputFile } from "../src/predict/source.js";

let inst: DuckDBInstance;
let conn: DuckDBConnection;

beforeAll(async () => {
  inst = await DuckDBInstance.create(":memory:");
  conn = await inst.connect();
});
afterAll(() => {
  conn.closeSync();
  inst.closeSync();
});

async function chunkOf(sql: string): Promise<Chunk> {
  const r = await conn.run(sql);
  const c = (await r.fetchChunk())!;
  return {
    rowCount: c.rowCount,
    column: (i) => {
      const v = c.getColumnVector(i);
      return { value: (r) => v.getItem(r), flat: flatFromVector(v) };
    },
  };
}

const file = { path: "t.parquet" } as InputFile;
const binding = (datatype: "FP32" | "INT64", width: number | undefined, columns: number[]): Binding => ({
  input: { name: "x", datatype, shape: [null, width ?? null] },
  columns,
  columnNames: columns.map((c) => `c${c}`),
  width,
  rowShape: width === undefined ? undefined : [width],
});

describe("predict fast paths", () => {
  it("reads FLOAT[] lists, FLOAT[n] arrays, DOUBLE and BIGINT scalars as flat typed arrays", async () => {
    const c = await chunkOf(
      "SELECT [i, i + 0.5]::FLOAT[] AS l, [i, i]::FLOAT[2] AS a, (i * 1.5)::DOUBLE AS d, i::BIGINT AS b FROM range(3) t(i)",
    );
    const [l, a, d, b] = [0, 1, 2, 3].map((i) => c.column(i).flat!);
    expect(l.data).toBeInstanceOf(Float32Array);
    expect([l.start(2), l.length(2)]).toEqual([4, 2]);
    expect(Array.from(l.data.subarray(l.start(1), l.start(1) + 2) as Float32Array)).toEqual([1, 1.5]);
    expect([a.start(1), a.length(1), a.data[a.start(2)]]).toEqual([2, 2, 2]);
    expect([d.data[2], d.integer, b.data[2], b.integer]).toEqual([3, false, 2n, true]);
    expect(c.column(0).flat!.isNull(0)).toBe(false);
  });

  it("VARCHAR and DECIMAL columns take the per-cell path", async () => {
    const c = await chunkOf("SELECT 'x' AS s, 1.25::DECIMAL(5,2) AS m");
    expect(c.column(0).flat).toBeUndefined();
    expect(c.column(1).flat).toBeUndefined();
  });

  it("fills slabs from flat columns with the per-cell path's rejects: NULL cells, NULL items, lengths", async () => {
    const c = await chunkOf(
      `SELECT i AS id, CASE WHEN i = 1 THEN NULL WHEN i = 2 THEN [1, NULL]::FLOAT[] WHEN i = 3 THEN [1]::FLOAT[]
         ELSE [i, i * 2]::FLOAT[] END AS x FROM range(6) t(i)`,
    );
    const b = new BatchBuilder(["id"], 2, "skip");
    b.setFile(file, [binding("FP32", 2, [1])], [0]);
    const slabs = [...b.add(c, 0), b.flush()!];
    expect(slabs.map((s) => [s.rows, s.read])).toEqual([
      [2, 5],
      [1, 1],
    ]);
    expect(Array.from(slabs[0].feeds.x.data as Float32Array)).toEqual([0, 0, 4, 8]);
    expect(slabs[0].keep[0]).toEqual([0n, 4n]);
    expect(slabs[0].rejects.map((r) => [r.row, r.reason])).toEqual([
      [2, "is empty (NULL)"],
      [3, "is empty (NULL)"],
      [4, 'has 1 values; the model input "x" takes 2 per row'],
    ]);
  });

  it("copies rows that lie back to back with one set per column; a NULL --keep value mid-slab falls back to values", async () => {
    const c1 = await chunkOf(
      "SELECT i::BIGINT AS id, [i, i * 2]::FLOAT[] AS x, [i, -i]::DOUBLE[2] AS y FROM range(5) t(i)",
    );
    expect(c1.column(1).flat!.run!(1, 3, 2)).toBe(2);
    expect(c1.column(1).flat!.run!(1, 3, 3)).toBe(-1); // not the model's width
    expect(c1.column(2).flat!.run!(1, 3, 2)).toBe(2);
    const b = new BatchBuilder(["id"], 4, "skip");
    b.setFile(file, [binding("FP32", 2, [1])], [0]);
    const first = b.add(c1, 0);
    expect(first).toHaveLength(1);
    expect(first[0].keep[0]).toBeInstanceOf(BigInt64Array);
    expect(Array.from(first[0].keep[0] as BigInt64Array)).toEqual([0n, 1n, 2n, 3n]);
    expect(Array.from(first[0].feeds.x.data as Float32Array)).toEqual([0, 0, 1, 2, 2, 4, 3, 6]);
    // DOUBLE[2] into an FP32 input: converted by the same set
    const d = new BatchBuilder([], 8, "skip");
    d.setFile(file, [binding("FP32", 2, [2])], []);
    d.add(c1, 0);
    expect(Array.from(d.flush()!.feeds.x.data as Float32Array)).toEqual([0, 0, 1, -1, 2, -2, 3, -3, 4, -4]);
    const c2 = await chunkOf(
      "SELECT CASE WHEN i = 1 THEN NULL ELSE i + 5 END::BIGINT AS id, [i, i]::FLOAT[] AS x FROM range(2) t(i)",
    );
    const last = b.add(c2, 5);
    expect(last).toHaveLength(0);
    const tail = b.flush()!;
    expect([tail.rows, tail.read]).toEqual([3, 3]);
    expect(tail.keep[0]).toEqual([4n, 5n, null]);
    expect(Array.from(tail.feeds.x.data as Float32Array)).toEqual([4, 8, 0, 0, 1, 1]);
  });

  it("feature columns (--map) and integer inputs: fractions are rejected, bigints converted", async () => {
    const c = await chunkOf("SELECT i::BIGINT AS a, i * 0.5 AS b FROM range(3) t(i)");
    const b = new BatchBuilder([], 8, "skip");
    b.setFile(file, [binding("INT64", 2, [0, 1])], []);
    const slab = [...b.add(c, 0), b.flush()!][0];
    expect(Array.from(slab.feeds.x.data as BigInt64Array)).toEqual([0n, 0n, 2n, 1n]);
    expect(slab.rejects.map((r) => r.reason)).toEqual(["0.5 is not an integer"]);
  });
});
