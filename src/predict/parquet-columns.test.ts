import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { useDuckDir } from "../../test/helpers/duck-dir.js";
import { parquetColumns } from "./parquet-columns.js";
import { MAGIC, footerTail, readFooter } from "./parquet-concat.js";
import { field, T, type ThriftList, type ThriftStruct } from "./thrift-compact.js";

const db = useDuckDir("mlpack-pq-columns-");
const f = db.f;

/** DuckDB's own view of a file: each column's name, type text and type id (and a list's item id). */
async function duckView(file: string) {
  const r = await db.conn.run(`SELECT * FROM read_parquet('${file}') LIMIT 0`);
  const columns = r.columnNames().map((name, i) => {
    const t = r.columnType(i) as { typeId: number; toString(): string; valueType?: { typeId: number } };
    return { name, text: t.toString(), typeId: t.typeId, item: t.valueType?.typeId };
  });
  const rows = Number((await db.conn.runAndReadAll(`SELECT count(*) FROM '${file}'`)).getRows()[0][0]);
  return { columns, rows };
}

function ourView(file: string) {
  const p = parquetColumns(file);
  return (
    p && {
      columns: p.columns.map((c) => ({
        name: c.name,
        text: c.type.toString(),
        typeId: c.type.typeId,
        item: c.type.valueType?.typeId,
      })),
      rows: p.rows,
    }
  );
}

/** Rewrites a Parquet file's footer (its schema elements edited by `edit`) to `out`. */
function editSchema(file: string, out: string, edit: (schema: ThriftStruct[]) => void): void {
  const fd = fs.openSync(file, "r");
  const { meta, end } = readFooter(fd, file);
  const body = Buffer.alloc(end);
  fs.readSync(fd, body, 0, end, 0);
  fs.closeSync(fd);
  edit((field(meta, 2)!.value as ThriftList).items as ThriftStruct[]);
  fs.writeFileSync(out, Buffer.concat([body, footerTail(meta)]));
  expect(body.subarray(0, 4).equals(MAGIC)).toBe(true);
}

const name = (el: ThriftStruct) => Buffer.from(field(el, 4)!.value as Uint8Array).toString();

/** The element's converted type replaced by only a logical type: the LogicalType union's field `id`. */
function logicalOnly(el: ThriftStruct, id: number): void {
  el.fields = [
    ...el.fields.filter((f) => f.id !== 6),
    { id: 10, type: T.STRUCT, value: { fields: [{ id, type: T.STRUCT, value: { fields: [] } }] } },
  ];
}

describe("parquetColumns", () => {
  // Every type DuckDB writes that mlpack's footer reading takes, as DuckDB reads it back.
  const TAKEN = [
    "(i % 100)::TINYINT",
    "i::SMALLINT",
    "i::INTEGER",
    "i::BIGINT",
    "(i % 200)::UTINYINT",
    "i::USMALLINT",
    "i::UINTEGER",
    "i::UBIGINT",
    "i::FLOAT",
    "i::DOUBLE",
    "i % 2 = 0",
    "[i, i + 1]::FLOAT[]",
    "[i]::DOUBLE[]",
    "[i]::BIGINT[]",
    "[i % 200]::UTINYINT[]",
    "i::HUGEINT", // DuckDB writes it as a DOUBLE
    "[i % 2 = 0]",
    "[i, i]::FLOAT[2]", // an ARRAY is written, and read back, as a list
    "CASE WHEN i = 3 THEN NULL ELSE [i]::INTEGER[] END",
  ];
  // Types it leaves to DuckDB: the whole file is then resolved by DuckDB.
  const LEFT = [
    "'s' || i",
    "DATE '2020-01-01' + i::INTEGER",
    "TIMESTAMP '2020-01-01 00:00:00' + INTERVAL (i) SECOND",
    "i::DECIMAL(10, 2)",
    "i::DECIMAL(20, 2)",
    "{'a': i}",
    "MAP {'k': i}",
    "[[i]]::INTEGER[][]",
    "['s']",
    "gen_random_uuid()",
    "INTERVAL (i) DAY",
    "'x'::BLOB",
    "TIME '01:02:03'",
  ];

  it("types every number, boolean and list of them as DuckDB does, with the same row count", async () => {
    const cols = TAKEN.map((e, i) => `${e} AS c${i}`).join(", ");
    for (const [options, rows] of [
      ["", 1000],
      [", ROW_GROUP_SIZE 100, COMPRESSION uncompressed", 1000],
      [", COMPRESSION zstd, PARQUET_VERSION v2", 777],
      ["", 0],
    ] as const) {
      const file = f(`taken-${rows}-${options.length}.parquet`);
      await db.conn.run(
        `COPY (SELECT ${cols} FROM range(${rows}) t(i)) TO '${file}' (FORMAT parquet${options})`,
      );
      const ours = ourView(file);
      expect(ours, options).toBeDefined();
      expect(ours).toEqual(await duckView(file));
    }
  });

  it("leaves a file with any other type, a nested or legacy list, or clashing names to DuckDB", async () => {
    for (const e of LEFT) {
      const file = f(`left-${LEFT.indexOf(e)}.parquet`);
      await db.conn.run(`COPY (SELECT i AS id, ${e} AS x FROM range(10) t(i)) TO '${file}' (FORMAT parquet)`);
      expect(parquetColumns(file), e).toBeUndefined();
    }
    // A two-level list (the repeated leaf itself), and a repeated group named "array" (the spec's
    // backward-compatibility rule makes it the element: a struct).
    const base = f("list.parquet");
    await db.conn.run(`COPY (SELECT [i]::INTEGER[] AS x FROM range(10) t(i)) TO '${base}' (FORMAT parquet)`);
    const renamed = f("array.parquet");
    editSchema(base, renamed, (s) => {
      const group = s.find((el) => name(el) === "list")!;
      field(group, 4)!.value = Buffer.from("array");
    });
    expect(parquetColumns(renamed)).toBeUndefined();
    // The logical LIST annotation without the converted one: DuckDB 1.5 reads a struct.
    const logicalList = f("logical-list.parquet");
    // 3: LIST
    editSchema(base, logicalList, (s) =>
      logicalOnly(
        s.find((el) => name(el) === "x")!,
        3,
      ),
    );
    expect((await duckView(logicalList)).columns[0].text).toMatch(/^STRUCT/);
    expect(parquetColumns(logicalList)).toBeUndefined();
    // A key=value folder on the path: DuckDB adds a hive partition column the footer does not hold.
    fs.mkdirSync(f("hive/year=2024"), { recursive: true });
    fs.copyFileSync(base, f("hive/year=2024/part.parquet"));
    expect((await duckView(f("hive/year=2024/part.parquet"))).columns.map((c) => c.name)).toEqual([
      "x",
      "year",
    ]);
    expect(parquetColumns(f("hive/year=2024/part.parquet"))).toBeUndefined();
    // Names that differ in case only: DuckDB renames one.
    const clash = f("clash.parquet");
    await db.conn.run(`COPY (SELECT i AS a, i AS b FROM range(10) t(i)) TO '${clash}' (FORMAT parquet)`);
    const upper = f("clash-upper.parquet");
    editSchema(clash, upper, (s) => {
      field(
        s.find((el) => name(el) === "b")!,
        4,
      )!.value = Buffer.from("A");
    });
    expect(parquetColumns(upper)).toBeUndefined();
    // Not a Parquet file, a truncated one, an empty one: undefined (DuckDB gives the error).
    fs.writeFileSync(f("junk.parquet"), "not parquet at all");
    expect(parquetColumns(f("junk.parquet"))).toBeUndefined();
    fs.writeFileSync(f("cut.parquet"), fs.readFileSync(base).subarray(0, 40));
    expect(parquetColumns(f("cut.parquet"))).toBeUndefined();
    fs.writeFileSync(f("empty.parquet"), "");
    expect(parquetColumns(f("empty.parquet"))).toBeUndefined();
  });

  it("reads the logical INTEGER annotation other writers add, and refuses one that disagrees", async () => {
    const base = f("ints.parquet");
    await db.conn.run(
      `COPY (SELECT i::TINYINT AS a, i::UINTEGER AS b, i::BIGINT AS c FROM range(10) t(i)) TO '${base}' (FORMAT parquet)`,
    );
    // pyarrow writes both: converted INT_8 and logical INTEGER(8, signed)
    const both = f("ints-logical.parquet");
    const logical = (bits: number, signed: boolean) => ({
      id: 10,
      type: T.STRUCT,
      value: {
        fields: [
          {
            id: 10,
            type: T.STRUCT,
            value: {
              fields: [
                { id: 1, type: T.BYTE, value: bits },
                { id: 2, type: signed ? T.TRUE : T.FALSE, value: signed },
              ],
            },
          },
        ],
      },
    });
    editSchema(base, both, (s) => {
      s.find((el) => name(el) === "a")!.fields.push(logical(8, true));
      s.find((el) => name(el) === "b")!.fields.push(logical(32, false));
    });
    expect(ourView(both)).toEqual(await duckView(both));
    expect(ourView(both)!.columns.map((c) => c.text)).toEqual(["TINYINT", "UINTEGER", "BIGINT"]);
    // the logical type alone (no converted type): DuckDB 1.5 reads INTEGER(16) as INTEGER; left to it
    const alone = f("ints-logical-alone.parquet");
    editSchema(base, alone, (s) => {
      const a = s.find((el) => name(el) === "a")!;
      a.fields = [...a.fields.filter((x) => x.id !== 6), logical(16, true)];
    });
    expect(parquetColumns(alone)).toBeUndefined();
    // converted INT_8 but logical INTEGER(16): left to DuckDB
    const odd = f("ints-odd.parquet");
    editSchema(base, odd, (s) => {
      s.find((el) => name(el) === "a")!.fields.push(logical(16, true));
    });
    expect(parquetColumns(odd)).toBeUndefined();
    // a timestamp's logical type on an INT64 without a converted type: left to DuckDB
    const ts = f("ints-ts.parquet");
    // 8: TIMESTAMP
    editSchema(base, ts, (s) =>
      logicalOnly(
        s.find((el) => name(el) === "c")!,
        8,
      ),
    );
    expect(parquetColumns(ts)).toBeUndefined();
  });
});
