import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDuck, type Duck } from "./duck.js";
import { DuckDBTypeId } from "@duckdb/node-api";
import { DUCK, openParquet } from "./parquet-read.js";
import { columnShapes, resolveInputs, streamFile, type InputFile } from "./source.js";
import type { Chunk } from "./columns.js";
import { footerTail, MAGIC, readFooter } from "./parquet-concat.js";
import {
  field,
  T,
  ThriftReader,
  ThriftWriter,
  type ThriftList,
  type ThriftStruct,
} from "./thrift-compact.js";

/** A snappy block of literals only (valid snappy, no compression): enough to exercise the reader. */
function snappyLiterals(b: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let n = b.length; ; n = Math.floor(n / 128)) {
    out.push((n & 0x7f) | (n >= 128 ? 0x80 : 0));
    if (n < 128) break;
  }
  for (let at = 0; at < b.length; at += 65536) {
    const n = Math.min(65536, b.length - at) - 1;
    out.push(61 << 2, n & 0xff, n >> 8, ...b.subarray(at, at + n + 1));
  }
  return Uint8Array.from(out);
}

const i32 = (v: number) => ({ type: T.I32, value: BigInt(v) });

/**
 * Rewrites an uncompressed Parquet file of one leaf column (levels up to `maxRep`/`maxDef`) with every
 * data page as a DATA_PAGE_V2 (DuckDB writes v1 pages only), the values snappy-compressed or not.
 */
function toPageV2(src: string, dst: string, maxRep: number, maxDef: number, snappy: boolean): void {
  const fd = fs.openSync(src, "r");
  const { meta } = readFooter(fd, src);
  const bytes = fs.readFileSync(src);
  fs.closeSync(fd);
  const parts: Uint8Array[] = [MAGIC];
  let pos = 4;
  const put = (b: Uint8Array) => {
    parts.push(b);
    pos += b.length;
  };
  const header = (h: ThriftStruct) => {
    const w = new ThriftWriter();
    w.struct(h);
    return w.bytes();
  };
  for (const g of (field(meta, 4)!.value as ThriftList).items as ThriftStruct[]) {
    const md = field(((field(g, 1)!.value as ThriftList).items as ThriftStruct[])[0], 3)!
      .value as ThriftStruct;
    const dict = field(md, 11) ? Number(field(md, 11)!.value) : 0;
    let at = dict > 0 ? dict : Number(field(md, 9)!.value);
    const end = at + Number(field(md, 7)!.value);
    const start = pos;
    let firstData = -1;
    let newDict = -1;
    let unc = 0;
    while (at < end) {
      const t = new ThriftReader(bytes.subarray(at));
      const h = t.struct();
      const size = Number(field(h, 3)!.value);
      const body = bytes.subarray(at + t.pos, at + t.pos + size);
      at += t.pos + size;
      if (Number(field(h, 1)!.value) !== 0) {
        // a dictionary page: the same, compressed like the rest
        const b = snappy ? snappyLiterals(body) : body;
        field(h, 3)!.value = BigInt(b.length);
        newDict = pos;
        const hb = header(h);
        unc += hb.length + body.length;
        put(hb);
        put(b);
        continue;
      }
      const d = field(h, 5)!.value as ThriftStruct;
      let p = 0;
      const lv = (max: number) => {
        if (max === 0) return new Uint8Array(0);
        const n = body.readUInt32LE(p);
        const l = body.subarray(p + 4, p + 4 + n);
        p += 4 + n;
        return l;
      };
      const rep = lv(maxRep);
      const def = lv(maxDef);
      const values = body.subarray(p);
      const packed = snappy ? snappyLiterals(values) : values;
      const n = Number(field(d, 1)!.value);
      const h2: ThriftStruct = {
        fields: [
          { id: 1, ...i32(3) },
          { id: 2, ...i32(rep.length + def.length + values.length) },
          { id: 3, ...i32(rep.length + def.length + packed.length) },
          {
            id: 8,
            type: T.STRUCT,
            value: {
              fields: [
                { id: 1, ...i32(n) },
                { id: 2, ...i32(0) },
                { id: 3, ...i32(n) },
                { id: 4, ...i32(Number(field(d, 2)!.value)) },
                { id: 5, ...i32(def.length) },
                { id: 6, ...i32(rep.length) },
                { id: 7, type: snappy ? T.TRUE : T.FALSE, value: snappy },
              ],
            },
          },
        ],
      };
      if (firstData < 0) firstData = pos;
      const hb = header(h2);
      unc += hb.length + rep.length + def.length + values.length;
      put(hb);
      put(rep);
      put(def);
      put(packed);
    }
    field(md, 4)!.value = BigInt(snappy ? 1 : 0);
    field(md, 9)!.value = BigInt(firstData);
    if (newDict >= 0) field(md, 11)!.value = BigInt(newDict);
    field(md, 7)!.value = BigInt(pos - start);
    field(md, 6)!.value = BigInt(unc);
  }
  const w = new ThriftWriter();
  w.struct(meta);
  const footer = w.bytes();
  const len = Buffer.alloc(4);
  len.writeUInt32LE(footer.length);
  fs.writeFileSync(dst, Buffer.concat([...parts, footer, len, MAGIC]));
}

/** Every cell of the needed columns as plain JS (numbers, bigints, arrays, null), read through `chunks`. */
function cells(chunks: Iterable<Chunk>, needed: number[]): unknown[][] {
  const rows: unknown[][] = [];
  for (const chunk of chunks)
    for (let r = 0; r < chunk.rowCount; r++)
      rows.push(
        needed.map((c) => {
          const col = chunk.column(c);
          const f = col.flat!;
          expect(f, "a flat column").toBeDefined();
          if (f.isNull(r)) return null;
          const items = Array.from(
            f.data.subarray(f.start(r), f.start(r) + f.length(r)) as ArrayLike<unknown>,
          );
          const listy = col.value(r) !== null && ArrayBuffer.isView(col.value(r));
          if (f.hasNullItem?.(r)) return ["has-null-item", f.length(r)];
          return listy ? items : items[0];
        }),
      );
  return rows;
}

/** The same cells as DuckDB gives them. */
async function duckCells(duck: Duck, file: string, names: string[], offset = 0, limit = 1e12) {
  const r = await duck.conn.runAndReadAll(
    `SELECT ${names.map((n) => `"${n}"`).join(", ")} FROM read_parquet('${file}') LIMIT ${limit} OFFSET ${offset}`,
  );
  return r.getRows().map((row) =>
    row.map((v) => {
      if (v === null) return null;
      const items = (v as { items?: unknown[] }).items;
      if (!items) return v;
      if (items.some((x) => x === null)) return ["has-null-item", items.length];
      return items.map((x) => (typeof x === "object" && x !== null ? Number(String(x)) : x));
    }),
  );
}

describe("parquet-read", () => {
  let duck: Duck;
  let dir: string;
  beforeAll(async () => {
    duck = await openDuck();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlpack-pqread-"));
  });
  afterAll(() => {
    duck.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function write(name: string, select: string, options = ""): Promise<InputFile> {
    const file = path.join(dir, name);
    await duck.conn.run(`COPY (${select}) TO '${file}' (FORMAT parquet${options})`);
    return (await resolveInputs(async () => duck, file, {}))[0];
  }

  async function same(f: InputFile, needed: number[], scalars: number[] = [], offset = 0, limit = f.rows) {
    const pq = openParquet(f.path, columnShapes(f.columns), needed, new Set(scalars));
    expect(pq, "the reader takes the file").toBeDefined();
    try {
      const got = cells(pq!.chunks(offset, limit), needed);
      const want = await duckCells(
        duck,
        f.path,
        needed.map((i) => f.columns[i].name),
        offset,
        limit,
      );
      expect(got.length).toBe(want.length);
      expect(got).toEqual(want);
    } finally {
      pq!.close();
    }
  }

  const numbers = `SELECT i::BIGINT AS id, (i % 120 - 60)::TINYINT AS t, (i * 7 - 30000)::SMALLINT AS s,
      ((i * 1000003) % 2000000000 - 1000000000)::INTEGER AS n, (i % 250)::UTINYINT AS ut, (i * 3)::USMALLINT AS us,
      (4294967295 - i)::UINTEGER AS ui, (18446744073709551615 - i)::UBIGINT AS ub,
      (i * 0.25)::FLOAT AS f, (i / 3)::DOUBLE AS d,
      [sin(i * 0.01 + k) for k in range(16)]::FLOAT[] AS x,
      [i + k for k in range(3)]::BIGINT[] AS xi,
      [i * 0.5, i * 1.5]::DOUBLE[2] AS arr
    FROM range(5000) t(i)`;

  for (const [codec, groups] of [
    ["uncompressed", 1024],
    ["snappy", 1024],
    ["gzip", 1024],
    ["brotli", 1024],
    // one row group: the list column's page (320 KB) is bigger than the snappy reader's window
    ["snappy", 100_000],
  ] as const)
    it(`reads every number type and list as DuckDB does (${codec}, row groups of ${groups})`, async () => {
      const f = await write(
        `num-${codec}-${groups}.parquet`,
        numbers,
        `, COMPRESSION ${codec}, ROW_GROUP_SIZE ${groups}`,
      );
      await same(f, [...f.columns.keys()], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

  it("reads data page v2 files, or leaves them to DuckDB when an encoding is not one it takes", async () => {
    // DuckDB's v2 pages: dictionaries, BYTE_STREAM_SPLIT floats (taken), DELTA_BINARY_PACKED ints (not)
    const f = await write("v2.parquet", numbers, ", PARQUET_VERSION V2, ROW_GROUP_SIZE 1024");
    const taken = [...f.columns.keys()].filter((c) => {
      const pq = openParquet(f.path, columnShapes(f.columns), [c], new Set());
      pq?.close();
      return pq !== undefined;
    });
    expect(taken.map((c) => f.columns[c].name)).toEqual(expect.arrayContaining(["t", "f", "d", "x"]));
    await same(f, taken);
  });

  it("reads dictionary pages, NULL rows, NULL and empty lists and NULL items", async () => {
    const f = await write(
      "nulls.parquet",
      `SELECT CASE WHEN i % 11 = 0 THEN NULL ELSE i % 5 END::INTEGER AS cat,
          CASE WHEN i % 13 = 0 THEN NULL ELSE i * 0.5 END::FLOAT AS f,
          CASE WHEN i % 7 = 0 THEN NULL WHEN i % 7 = 1 THEN []::FLOAT[]
               WHEN i % 7 = 2 THEN [1.0, NULL]::FLOAT[] ELSE [i, i + 1, i % 3]::FLOAT[] END AS x,
          [i % 4, i % 3]::INTEGER[] AS lowcard
        FROM range(3000) t(i)`,
      ", ROW_GROUP_SIZE 1000",
    );
    await same(f, [0, 1, 2, 3], [0, 1]);
  });

  for (const codec of ["uncompressed", "snappy"] as const)
    it(`reads a page with a few NULL and empty lists among many (run by run) as DuckDB does, and one with a NULL item (${codec})`, async () => {
      // Holes (slots without an item) are under an eighth of the slots and no item is NULL: the run-by-
      // run path (sparseHoles). The first row NULL and the last one empty test both ends of the page.
      const sparse = await write(
        `sparse-${codec}.parquet`,
        `SELECT i AS id, CASE WHEN i = 0 OR i % 997 = 3 THEN NULL WHEN i % 1009 = 5 OR i = 4999 THEN []::FLOAT[]
            ELSE [sin(i * 0.01 + k) for k in range(16)]::FLOAT[] END AS x FROM range(5000) t(i)`,
        `, COMPRESSION ${codec}, ROW_GROUP_SIZE 5000`,
      );
      await same(sparse, [0, 1], [0]);
      await same(sparse, [0, 1], [0], 1000, 2500);
      // One NULL item among them: the general path.
      const item = await write(
        `sparse-item-${codec}.parquet`,
        `SELECT i AS id, CASE WHEN i % 997 = 3 THEN NULL WHEN i = 2500 THEN [1.0, NULL]::FLOAT[]
            ELSE [sin(i * 0.01 + k) for k in range(16)]::FLOAT[] END AS x FROM range(5000) t(i)`,
        `, COMPRESSION ${codec}, ROW_GROUP_SIZE 5000`,
      );
      await same(item, [0, 1], [0]);
    });

  it("knows DuckDB's type ids by number (it runs where DuckDB is not loaded)", () => {
    for (const [name, id] of Object.entries(DUCK))
      expect(DuckDBTypeId[name as keyof typeof DuckDBTypeId]).toBe(id);
  });

  for (const snappy of [false, true])
    it(`reads data pages v2 (levels apart, values ${snappy ? "snappy" : "uncompressed"}) as DuckDB reads the v1 original`, async () => {
      for (const [name, select, rep, def] of [
        [
          "list",
          `SELECT CASE WHEN i % 7 = 0 THEN NULL WHEN i % 7 = 1 THEN []::FLOAT[] WHEN i % 7 = 2 THEN [1.0, NULL]::FLOAT[]
            ELSE [i, i + 1, i % 3]::FLOAT[] END AS x FROM range(3000) t(i)`,
          1,
          3,
        ],
        ["full", "SELECT [sin(i), cos(i)]::FLOAT[] AS x FROM range(3000) t(i)", 1, 3],
        [
          "scalar",
          "SELECT CASE WHEN i % 5 = 0 THEN NULL ELSE i % 9 END::BIGINT AS x FROM range(3000) t(i)",
          0,
          1,
        ],
      ] as const) {
        const v1 = await write(
          `v1-${name}.parquet`,
          select,
          ", COMPRESSION uncompressed, ROW_GROUP_SIZE 1000",
        );
        const v2 = path.join(dir, `v2-${name}-${snappy}.parquet`);
        toPageV2(v1.path, v2, rep, def, snappy);
        const pq = openParquet(v2, columnShapes(v1.columns), [0], new Set());
        expect(pq, name).toBeDefined();
        try {
          expect(cells(pq!.chunks(0, v1.rows), [0])).toEqual(await duckCells(duck, v1.path, ["x"]));
        } finally {
          pq!.close();
        }
      }
    });

  it("reads a range of rows across row groups, and the columns asked for only", async () => {
    const f = await write(
      "range.parquet",
      `SELECT 'row ' || i AS name, i AS id, [i * 0.5, i * 2.0]::FLOAT[] AS x FROM range(10000) t(i)`,
      ", ROW_GROUP_SIZE 2048",
    );
    // the string column is never read
    await same(f, [2, 1], [1], 3000, 4500);
    await same(f, [1], [1], 9999, 10);
    await same(f, [2], [], 0, 1);
  });

  it("refuses what it does not take (strings, structs, a list kept as a scalar, LZ4, zstd without Node's)", async () => {
    const f = await write(
      "other.parquet",
      `SELECT 'a' || i AS s, {'a': i} AS st, [i]::INTEGER[] AS l, i::DECIMAL(9,2) AS dec, now()::TIMESTAMP AS ts FROM range(10) t(i)`,
    );
    for (const c of [0, 1, 3, 4])
      expect(openParquet(f.path, columnShapes(f.columns), [c], new Set())).toBeUndefined();
    expect(openParquet(f.path, columnShapes(f.columns), [2], new Set([2]))).toBeUndefined();
    const lz4 = await write("lz4.parquet", "SELECT i AS id FROM range(10) t(i)", ", COMPRESSION lz4_raw");
    expect(openParquet(lz4.path, columnShapes(lz4.columns), [0], new Set())).toBeUndefined();
    const zstd = await write("zstd.parquet", "SELECT i AS id FROM range(10) t(i)", ", COMPRESSION zstd");
    const pq = openParquet(zstd.path, columnShapes(zstd.columns), [0], new Set());
    expect(pq !== undefined).toBe("zstdDecompressSync" in zlib);
    pq?.close();
  });

  for (const codec of ["uncompressed", "snappy"])
    it(`hands the rest of a file it cannot read to DuckDB (a corrupt ${codec} page): its error, no row twice`, async () => {
      // A hand-made two-row-group file: the second row group's page is corrupted, so the native reader
      // yields the first row group, throws, and DuckDB then reports its own error for the rest.
      const f = await write(
        `corrupt-${codec}.parquet`,
        "SELECT i AS id, [i * 1.0, 2.0]::FLOAT[] AS x FROM range(4000) t(i)",
        `, ROW_GROUP_SIZE 2048, COMPRESSION ${codec}`,
      );
      const good: number[] = [];
      for await (const chunk of streamFile(async () => duck, f, {}, 0, f.rows, { inputs: [1], keep: [0] }))
        for (let r = 0; r < chunk.rowCount; r++) good.push(Number(chunk.column(0).value(r)));
      expect(good).toEqual([...Array(4000).keys()]);
      const meta = await duck.conn.runAndReadAll(
        `SELECT data_page_offset, total_compressed_size FROM parquet_metadata('${f.path}') WHERE row_group_id = 1 AND path_in_schema = 'x, list, element'`,
      );
      const [offset, size] = meta.getRows()[0].map(Number);
      const bytes = fs.readFileSync(f.path);
      bytes.fill(0xff, offset + 40, offset + size - 40); // levels and values of the second row group
      fs.writeFileSync(f.path, bytes);
      const seen: number[] = [];
      await expect(async () => {
        for await (const chunk of streamFile(async () => duck, f, {}, 0, f.rows, { inputs: [1], keep: [0] }))
          for (let r = 0; r < chunk.rowCount; r++) seen.push(Number(chunk.column(0).value(r)));
      }).rejects.toThrow(/corrupt-\w+\.parquet.*cannot read/);
      // the first row group came from this reader, and no row was given twice
      expect(seen.slice(0, 2048)).toEqual([...Array(2048).keys()]);
      expect(new Set(seen).size).toBe(seen.length);
    });

  it("a footer whose row counts disagree with the pages is a clear error, not rows DuckDB makes up", async () => {
    const f = await write(
      "counts.parquet",
      "SELECT i AS id, [i * 1.0, 2.0]::FLOAT[] AS x FROM range(5000) t(i)",
      ", ROW_GROUP_SIZE 2048",
    );
    const { meta, end } = (() => {
      const fd = fs.openSync(f.path, "r");
      try {
        return readFooter(fd, f.path);
      } finally {
        fs.closeSync(fd);
      }
    })();
    const body = fs.readFileSync(f.path).subarray(0, end);
    for (const [claim, what] of [
      [4000, "fewer"], // the first row group claims every row; its pages hold 2,048
      [1000, "more"],
    ] as const) {
      const edited = structuredClone(meta);
      field(edited, 3)!.value = BigInt(claim);
      ((field(edited, 4)!.value as ThriftList).items as ThriftStruct[]).forEach((g, i) => {
        field(g, 3)!.value = i === 0 ? BigInt(claim) : 0n;
      });
      const bad = path.join(dir, `counts-${what}.parquet`);
      fs.writeFileSync(bad, Buffer.concat([body, footerTail(edited)]));
      const file = { ...f, path: bad, rows: claim };
      const rows: number[] = [];
      await expect(async () => {
        for await (const chunk of streamFile(async () => duck, file, {}, 0, claim, {
          inputs: [1],
          keep: [0],
        }))
          for (let r = 0; r < chunk.rowCount; r++) rows.push(Number(chunk.column(0).value(r)));
      }).rejects.toThrow(
        new RegExp(
          `counts-${what}\\.parquet: cannot read: column "x": its pages hold ${what} rows than its row group says`,
        ),
      );
    }
  });

  it("survives corrupted files: every run ends in rows, a refusal or an error, quickly (300 bit flips)", async () => {
    const f = await write(
      "fuzz.parquet",
      `SELECT CASE WHEN i % 7 = 0 THEN NULL ELSE i % 5 END::INTEGER AS c,
          CASE WHEN i % 5 = 0 THEN NULL ELSE [sin(i), i % 3]::FLOAT[] END AS x FROM range(2000) t(i)`,
      ", ROW_GROUP_SIZE 700",
    );
    const orig = fs.readFileSync(f.path);
    let seed = 12345;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const bad = path.join(dir, "fuzzed.parquet");
    const outcomes = new Map<string, number>();
    for (let it = 0; it < 300; it++) {
      const bytes = Buffer.from(orig);
      for (let j = 0; j < 3; j++) bytes[Math.floor(rnd() * bytes.length)] ^= 1 << Math.floor(rnd() * 8);
      fs.writeFileSync(bad, bytes);
      const t = performance.now();
      let outcome = "read";
      try {
        const pq = openParquet(bad, columnShapes(f.columns), [0, 1], new Set([0]));
        if (!pq) outcome = "refused";
        else
          try {
            for (const chunk of pq.chunks(0, pq.rows))
              for (let r = 0; r < chunk.rowCount; r++) chunk.column(1).flat!.length(r);
          } finally {
            pq.close();
          }
      } catch {
        outcome = "error"; // streamFile hands the rest of the file to DuckDB
      }
      expect(performance.now() - t).toBeLessThan(2000);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    expect(outcomes.get("read")).toBeGreaterThan(0);
  });
});
