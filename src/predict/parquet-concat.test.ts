import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { useDuckDir } from "../../test/helpers/duck-dir.js";
import { concatParquet } from "./parquet-concat.js";

const db = useDuckDir("mlpack-pq-concat-");
const f = db.f;

async function part(name: string, from: number, to: number, opts = ""): Promise<string> {
  await db.conn.run(
    `COPY (SELECT i AS id, 'r' || i AS label, i % 3 = 0 AS flag, ` +
      `CASE WHEN i % 7 = 0 THEN NULL ELSE [i * 0.5, i * 0.25]::FLOAT[] END AS output ` +
      `FROM range(${from}, ${to}) t(i)) TO '${f(name)}' (FORMAT parquet${opts})`,
  );
  return f(name);
}

async function rows(sql: string): Promise<unknown[][]> {
  return (await db.conn.runAndReadAll(sql)).getRowsJson() as unknown[][];
}

describe("concatParquet", () => {
  it("joins parts byte for byte: the rows of every part, in order, readable by DuckDB", async () => {
    const parts = [
      await part("a.parquet", 0, 5000, ", ROW_GROUP_SIZE 2048"),
      await part("b.parquet", 5000, 5000), // an empty part
      await part("c.parquet", 5000, 5003, ", COMPRESSION zstd"),
      await part("d.parquet", 5003, 9000),
    ];
    expect(concatParquet(parts, f("all.parquet"))).toBe(true);
    const got = await rows(`SELECT * FROM '${f("all.parquet")}'`);
    const want = await rows(
      `SELECT * FROM read_parquet([${parts.map((p) => `'${p}'`).join(", ")}]) ORDER BY id`,
    );
    expect(got.length).toBe(9000);
    expect(got).toEqual(want);
    const meta = await rows(`SELECT count(*) FROM parquet_metadata('${f("all.parquet")}')`);
    expect(Number(meta[0][0])).toBeGreaterThan(4 * 3);
    // Row group statistics survive (filters on them still work).
    expect(await rows(`SELECT count(*) FROM '${f("all.parquet")}' WHERE id >= 8990`)).toEqual([["10"]]);
  });

  it("refuses (returns false, writes nothing) when the schemas differ or a file is not Parquet", async () => {
    const a = await part("s1.parquet", 0, 10);
    await db.conn.run(`COPY (SELECT 1 AS other) TO '${f("s2.parquet")}' (FORMAT parquet)`);
    expect(concatParquet([a, f("s2.parquet")], f("no.parquet"))).toBe(false);
    fs.writeFileSync(f("junk.parquet"), "not parquet at all");
    expect(concatParquet([a, f("junk.parquet")], f("no.parquet"))).toBe(false);
    expect(fs.existsSync(f("no.parquet"))).toBe(false);
  });
});
