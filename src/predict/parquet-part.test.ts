import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { concatParquet, thriftBytes } from "./parquet-concat.js";
import { PAGE_VALUES, readTemplate, templateFor, writeParquetPart } from "./parquet-part.js";
import { DUCK } from "./parquet-read.js";
import { field, type ThriftStruct } from "./thrift-compact.js";

let dir: string;
let inst: DuckDBInstance;
let conn: DuckDBConnection;
const f = (n: string) => path.join(dir, n);
const rows = async (q: string) => (await conn.runAndReadAll(q)).getRowsJson();

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlpack-pq-part-"));
  inst = await DuckDBInstance.create(":memory:");
  conn = await inst.connect();
  await conn.run("CREATE TABLE b (id BIGINT, s DOUBLE, o FLOAT[], one FLOAT[], wide FLOAT[], n INTEGER)");
  await conn.run(
    `COPY (SELECT * FROM b LIMIT 0) TO '${f("template.parquet")}' (FORMAT parquet, COMPRESSION zstd)`,
  );
});
afterAll(() => {
  conn.closeSync();
  inst.closeSync();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("writeParquetPart", () => {
  it("writes scalars and lists from typed arrays under DuckDB's schema, in segments of any width", async () => {
    const t = readTemplate(f("template.parquet"))!;
    expect(t.leaves.map((l) => [l.path.join("."), l.physical, l.maxDef, l.maxRep])).toEqual([
      ["id", 2, 1, 0],
      ["s", 5, 1, 0],
      ["o.list.element", 4, 3, 1],
      ["one.list.element", 4, 3, 1],
      ["wide.list.element", 4, 3, 1],
      ["n", 1, 1, 0],
    ]);
    const n = 5;
    const id = BigInt64Array.from({ length: n }, (_, k) => BigInt(k * 10));
    const o = Float32Array.from({ length: 2 * 3 + 3 * 2 }, (_, k) => k * 0.5);
    const wide = Float32Array.from({ length: n * 1000 }, (_, k) => k);
    writeParquetPart(
      f("direct.parquet"),
      t,
      [
        [
          { data: id.subarray(0, 2), rows: 2, width: 1 },
          { data: id.subarray(2), rows: 3, width: 1 },
        ],
        [{ data: Float64Array.from({ length: n }, (_, k) => k / 3), rows: n, width: 1 }],
        // a list whose width changes between segments (a symbolic output dim)
        [
          { data: o.subarray(0, 6), rows: 2, width: 3 },
          { data: o.subarray(6), rows: 3, width: 2 },
        ],
        [{ data: Float32Array.from({ length: n }, (_, k) => -k), rows: n, width: 1 }],
        [{ data: wide, rows: n, width: 1000 }],
        [{ data: Int32Array.from({ length: n }, (_, k) => -k), rows: n, width: 1 }],
      ],
      n,
    );
    expect(
      await rows(`SELECT id, s, o, one, len(wide), wide[1000], n FROM '${f("direct.parquet")}'`),
    ).toEqual([
      ["0", 0, [0, 0.5, 1], [-0], "1000", 999, 0],
      ["10", 1 / 3, [1.5, 2, 2.5], [-1], "1000", 1999, -1],
      ["20", 2 / 3, [3, 3.5], [-2], "1000", 2999, -2],
      ["30", 1, [4, 4.5], [-3], "1000", 3999, -3],
      ["40", 4 / 3, [5, 5.5], [-4], "1000", 4999, -4],
    ]);
    // Joined with a part DuckDB wrote: the same schema, so the row groups are copied as they are.
    await conn.run("INSERT INTO b VALUES (99, 1.5, [1, 2], [3], [4], 7)");
    await conn.run(`COPY (SELECT * FROM b) TO '${f("duck.parquet")}' (FORMAT parquet, COMPRESSION zstd)`);
    const parts = [f("direct.parquet"), f("duck.parquet"), f("direct.parquet")];
    expect(concatParquet(parts, f("joined.parquet"))).toBe(true);
    expect(await rows(`SELECT count(*), sum(id), sum(len(o)) FROM '${f("joined.parquet")}'`)).toEqual([
      ["11", "299", "26"],
    ]);
  });

  it("cuts a column into pages of whole rows, at most PAGE_VALUES values each", async () => {
    const t = readTemplate(f("template.parquet"))!;
    const n = 3000; // 3,000 rows of 1,000 floats: 3M values, two pages of "wide"
    const seq = (len: number, k: number) => Float32Array.from({ length: len }, (_, i) => i * k);
    writeParquetPart(
      f("pages.parquet"),
      t,
      [
        [{ data: BigInt64Array.from({ length: n }, (_, i) => BigInt(i)), rows: n, width: 1 }],
        [{ data: Float64Array.from({ length: n }, (_, i) => i), rows: n, width: 1 }],
        [{ data: seq(n * 2, 1), rows: n, width: 2 }],
        [{ data: seq(n, -1), rows: n, width: 1 }],
        [
          { data: seq(1000 * 1000, 1), rows: 1000, width: 1000 },
          { data: seq(2000 * 1000, 1).map((x) => x + 1e6), rows: 2000, width: 1000 },
        ],
        [{ data: Int32Array.from({ length: n }, (_, i) => i), rows: n, width: 1 }],
      ],
      n,
    );
    expect(PAGE_VALUES).toBeLessThan(n * 1000);
    expect(
      await rows(
        `SELECT count(*), sum(id), bool_and(len(wide) = 1000), bool_and(wide[1] = id * 1000), bool_and(wide[1000] = id * 1000 + 999), bool_and(o[2] = id * 2 + 1) FROM '${f("pages.parquet")}'`,
      ),
    ).toEqual([["3000", "4498500", true, true, true, true]]);
  });

  it("refuses a schema it cannot fill (strings, booleans)", async () => {
    await conn.run(`COPY (SELECT 'a' AS s LIMIT 0) TO '${f("str.parquet")}' (FORMAT parquet)`);
    await conn.run(`COPY (SELECT true AS b LIMIT 0) TO '${f("bool.parquet")}' (FORMAT parquet)`);
    expect(readTemplate(f("str.parquet"))).toBeUndefined();
    expect(readTemplate(f("bool.parquet"))).toBeUndefined();
  });
});

describe("templateFor", () => {
  it("makes the schema DuckDB writes for the same columns, without DuckDB (every number type, scalar and list)", async () => {
    const names = Object.keys(DUCK).filter((n) => n !== "LIST" && n !== "BOOLEAN") as (keyof typeof DUCK)[];
    const columns = names.flatMap((n) => [
      { name: `s_${n.toLowerCase()}`, typeId: DUCK[n], list: false },
      { name: `l_${n.toLowerCase()}`, typeId: DUCK[n], list: true },
    ]);
    const sqlCols = columns.map(
      (c) => `${c.name} ${names.find((n) => DUCK[n] === c.typeId)}${c.list ? "[]" : ""}`,
    );
    await conn.run(`CREATE TABLE every (${sqlCols.join(", ")})`);
    await conn.run(`COPY (SELECT * FROM every LIMIT 0) TO '${f("every.parquet")}' (FORMAT parquet)`);
    const duck = readTemplate(f("every.parquet"))!;
    const ours = templateFor(columns)!;
    expect(ours.leaves).toEqual(duck.leaves);
    // schema elements and column orders byte for byte (what concatParquet compares to join parts)
    const part = (m: ThriftStruct) => thriftBytes({ fields: [field(m, 2)!, field(m, 7)!] });
    expect(part(ours.meta).equals(part(duck.meta))).toBe(true);
    // and a part written under it reads back in DuckDB as the same types
    const file = f("every-part.parquet");
    writeParquetPart(
      file,
      ours,
      columns.map((c) => {
        const leaf = ours.leaves[columns.indexOf(c)];
        const data =
          leaf.physical === 2
            ? c.typeId === DUCK.UBIGINT
              ? BigUint64Array.from([1n, 2n])
              : BigInt64Array.from([1n, 2n])
            : leaf.physical === 4
              ? Float32Array.from([1, 2])
              : leaf.physical === 5
                ? Float64Array.from([1, 2])
                : c.typeId === DUCK.UINTEGER
                  ? Uint32Array.from([1, 2])
                  : Int32Array.from([1, 2]);
        return [{ data, rows: 2, width: 1 }];
      }),
      2,
    );
    const types = async (q: string) => (await conn.run(q)).columnTypes().map(String);
    expect(await types(`SELECT * FROM '${file}'`)).toEqual(await types("SELECT * FROM every"));
    expect(await rows(`SELECT s_tinyint, l_double, l_ubigint FROM '${file}'`)).toEqual([
      [1, [1], ["1"]],
      [2, [2], ["2"]],
    ]);
  });

  it("leaves booleans and unknown types to DuckDB", () => {
    expect(templateFor([{ name: "b", typeId: DUCK.BOOLEAN, list: false }])).toBeUndefined();
    expect(templateFor([{ name: "x", typeId: 99, list: true }])).toBeUndefined();
  });
});
