/**
 * The built CLI as a batch job runs it: killed with SIGKILL mid-run and resumed, the output equals an
 * uninterrupted run (every row once, in order); N shard processes side by side give the single run's
 * rows; and a real trained model (openWakeWord's head, fixed batch of 1) agrees with onnxruntime.
 */
import fs from "node:fs";
import path from "node:path";
import { spawn } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO, runBuilt } from "./helpers/cli.js";
import { tempDir } from "./helpers/tmp.js";
import { close, reference, run, sql } from "./helpers/predict-data.js";
import { makeMlp } from "../src/onnx/fixtures.js";
import { writeModel } from "../src/onnx/write.js";

const dir = tempDir("mlpack-predict-slow-");
const f = (name: string) => path.join(dir, name);
const model = f("mlp.onnx");
const ROWS = 200_000;

beforeAll(async () => {
  if (!fs.existsSync(path.join(REPO, "dist/cli/main.js")))
    throw new Error("run `npm run build` before the CLI tests");
  await writeModel(makeMlp({ widths: [32, 256, 256, 8], seed: 3 }), model);
  await run(`COPY (SELECT i AS id, [sin(i + k) for k in range(32)]::FLOAT[] AS input FROM range(${ROWS}) t(i))
    TO '${f("in.parquet")}' (FORMAT parquet)`);
});

const cli = (args: string[]) =>
  runBuilt(["predict", model, "-i", f("in.parquet"), "--keep", "id", ...args], { timeoutMs: 300_000 });

/** The output as (id, output) rows in file order, as one string per row. */
async function rowsOf(file: string): Promise<string[]> {
  return (await sql(`SELECT id, output FROM '${file}'`)).map((r) => JSON.stringify(r));
}

describe("mlpack predict (built CLI)", () => {
  it("SIGKILL mid-run, then --resume: the output equals an uninterrupted run", async () => {
    const whole = cli(["-o", f("whole.parquet"), "--part-rows", "10000"]);
    expect(whole.code, whole.stderr).toBe(0);

    const manifest = f("killed.parquet.parts/manifest.json");
    const child = spawn(
      process.execPath,
      [
        path.join(REPO, "bin/mlpack.js"),
        "predict",
        model,
        "-i",
        f("in.parquet"),
        "--keep",
        "id",
        "-o",
        f("killed.parquet"),
        "--part-rows",
        "10000",
      ],
      { stdio: "ignore" },
    );
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    // Kill once at least two parts are complete and before the run ends.
    const deadline = Date.now() + 240_000;
    let parts = 0;
    while (Date.now() < deadline) {
      if (fs.existsSync(manifest))
        parts = (JSON.parse(fs.readFileSync(manifest, "utf8")) as { parts: unknown[] }).parts.length;
      if (parts >= 2) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill("SIGKILL");
    await exited;
    expect(parts).toBeGreaterThanOrEqual(2);
    expect(fs.existsSync(f("killed.parquet"))).toBe(false);

    const resumed = cli(["-o", f("killed.parquet"), "--part-rows", "10000", "--resume"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming after [\d,]+ rows/);
    expect(resumed.stderr).toContain(`read ${ROWS.toLocaleString("en-US")} rows`);
    const [a, b] = [await rowsOf(f("whole.parquet")), await rowsOf(f("killed.parquet"))];
    expect(b.length).toBe(ROWS);
    expect(b).toEqual(a);
  }, 240_000); // three 200k-row runs and two full reads: minutes on a loaded 2-core machine

  it("N shard processes side by side: their union is the single run, row for row", async () => {
    const N = 3;
    const procs = Array.from(
      { length: N },
      (_, i) =>
        new Promise<number | null>((resolve) => {
          const c = spawn(
            process.execPath,
            [
              path.join(REPO, "bin/mlpack.js"),
              "predict",
              model,
              "-i",
              f("in.parquet"),
              "--keep",
              "id",
              "-o",
              f("shard-{shard}.parquet"),
              "--shard",
              `${i}/${N}`,
            ],
            { stdio: "ignore" },
          );
          c.on("exit", (code) => resolve(code));
        }),
    );
    expect(await Promise.all(procs)).toEqual([0, 0, 0]);
    const union: string[] = [];
    for (let i = 0; i < N; i++) union.push(...(await rowsOf(f(`shard-${i}.parquet`))));
    const single = fs.existsSync(f("whole.parquet"))
      ? f("whole.parquet")
      : (cli(["-o", f("whole.parquet")]), f("whole.parquet"));
    expect(union).toEqual(await rowsOf(single));
  });

  it("a real model: openWakeWord's hello_deepa head (input [1,25,96]) over a Parquet list column", async () => {
    const head = path.join(REPO, "node_modules/openwakeword-js/models/hello_deepa.onnx");
    await run(`COPY (SELECT i AS clip, [sin(i * 0.37 + k * 0.01) for k in range(2400)]::FLOAT[] AS embedding FROM range(40) t(i))
      TO '${f("clips.parquet")}' (FORMAT parquet)`);
    const r = runBuilt(
      [
        "predict",
        head,
        "-i",
        f("clips.parquet"),
        "-o",
        f("scores.parquet"),
        "--map",
        "onnx::Flatten_0=embedding",
        "--keep",
        "clip",
      ],
      { timeoutMs: 120_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("batch dimension is fixed at 1");
    const out = await sql(`SELECT clip, "39" FROM '${f("scores.parquet")}'`);
    expect(out.length).toBe(40);
    const rows = [0, 17, 39].map((i) =>
      Array.from({ length: 2400 }, (_, k) => Math.fround(Math.sin(i * 0.37 + k * 0.01))),
    );
    const ref = await reference(head, rows, [25, 96]);
    [0, 17, 39].forEach((i, k) => expect(close([out[i][1] as number], ref[k])).toBe(true));
  });
});
