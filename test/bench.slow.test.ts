/**
 * The gate's must-shows, measured for real on this machine (slow: ~3 minutes on 2 cores):
 *  - A/A: a model against itself 20 times gives 0 `regressed` verdicts;
 *  - A/B: the same graph plus ~25% extra work is flagged `regressed` in >= 19 of 20 runs at the
 *    default 10% threshold, and plus ~5% extra work is never flagged.
 * The slowdown of the "slower" fixtures is measured here (bare interleaved session.run loops, not the
 * harness under test) and printed, rather than assumed.
 */
import fs from "node:fs";
import path from "node:path";
import ort from "onnxruntime-node";
import { beforeAll, describe, expect, it } from "vitest";
import { bench } from "../src/bench/bench.js";
import { makeChainModel } from "../src/bench/fixtures.js";
import { encodeModelProto } from "../src/onnx/proto.js";
import { median } from "../src/bench/stats.js";
import type { Verdict } from "../src/bench/gate.js";
import { tempDir } from "./helpers/tmp.js";

const dir = tempDir("mlpack-bench-slow-");
const WIDTH = 256;
const LAYERS = 20;
const BATCH = 8;
const RUNS = 20;
const file = (extra: number) => path.join(dir, `chain-${extra}.onnx`);

/** Bare interleaved loops: the median over rounds of (median of B's block / median of A's block). */
async function measureSlowdown(extra: number, rounds = 40, calls = 30): Promise<number> {
  const opts = { intraOpNumThreads: 1, interOpNumThreads: 1 };
  const a = await ort.InferenceSession.create(file(0), opts);
  const b = await ort.InferenceSession.create(file(extra), opts);
  const feeds = {
    input: new ort.Tensor("float32", new Float32Array(BATCH * WIDTH).fill(0.25), [BATCH, WIDTH]),
  };
  const block = async (s: ort.InferenceSession) => {
    const lat: number[] = [];
    for (let i = 0; i < calls; i++) {
      const t0 = process.hrtime.bigint();
      await s.run(feeds);
      lat.push(Number(process.hrtime.bigint() - t0));
    }
    return median(lat);
  };
  for (let i = 0; i < 100; i++) await Promise.all([a.run(feeds), b.run(feeds)]);
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    // A B, then B A: neither model always runs first.
    const ma = r % 2 === 0 ? await block(a) : NaN;
    const mb = await block(b);
    ratios.push(mb / (r % 2 === 0 ? ma : await block(a)));
  }
  await a.release();
  await b.release();
  return median(ratios);
}

async function runMany(extra: number): Promise<{ verdicts: Record<string, Verdict[]>; ratios: number[] }> {
  const verdicts: Record<string, Verdict[]> = { median: [], p95: [], throughput: [] };
  const ratios: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const out = await bench({
      model: file(extra),
      baseline: file(0),
      batches: [BATCH],
      intraOpThreads: 1,
      interOpThreads: 1,
      sample: { kind: "duration", ms: 400 },
    });
    for (const e of out.comparison!.entries) verdicts[e.metric].push(e.verdict);
    ratios.push(out.comparison!.entries.find((e) => e.metric === "median")!.ratio);
  }
  return { verdicts, ratios };
}

const count = (vs: Verdict[], v: Verdict) => vs.filter((x) => x === v).length;
const tally = (vs: Verdict[]) =>
  (["regressed", "inconclusive", "unchanged", "improved"] as Verdict[])
    .map((v) => `${count(vs, v)} ${v}`)
    .join(", ");
const range = (xs: number[]) =>
  `${Math.min(...xs).toFixed(3)}–${Math.max(...xs).toFixed(3)} (median ${median(xs).toFixed(3)})`;

let slow25 = 5;
let bare25 = NaN;
let bare5 = NaN;

beforeAll(async () => {
  for (const extra of [0, 1, 4, 5, 6])
    fs.writeFileSync(
      file(extra),
      encodeModelProto(makeChainModel({ width: WIDTH, layers: LAYERS, extraLayers: extra })),
    );
  // Calibrate "~25% slower": of 4, 5 or 6 extra layers (of 20), the one measured closest to 1.25.
  const measured = new Map<number, number>();
  for (const extra of [4, 5, 6]) measured.set(extra, await measureSlowdown(extra));
  slow25 = [...measured.entries()].sort((x, y) => Math.abs(x[1] - 1.25) - Math.abs(y[1] - 1.25))[0][0];
  bare25 = measured.get(slow25)!;
  bare5 = await measureSlowdown(1);
  console.log(
    `bench must-shows: fixture slowdowns measured with bare interleaved loops: +1 layer ${bare5.toFixed(3)}x, ` +
      [...measured].map(([e, r]) => `+${e} layers ${r.toFixed(3)}x`).join(", ") +
      ` → using +${slow25} layers as the ~25% model`,
  );
}, 120_000);

describe("bench gate on this machine (20 runs each)", () => {
  it("A/A: the same model against itself is never flagged regressed", async () => {
    const { verdicts, ratios } = await runMany(0);
    for (const [m, vs] of Object.entries(verdicts)) console.log(`A/A ${m}: ${tally(vs)}`);
    console.log(`A/A median ratios ${range(ratios)}`);
    for (const vs of Object.values(verdicts)) expect(count(vs, "regressed")).toBe(0);
  }, 300_000);

  it("A/B ~25% slower: flagged regressed in at least 19 of 20 runs", async () => {
    const { verdicts, ratios } = await runMany(slow25);
    console.log(
      `A/B +${slow25} layers (bare-loop slowdown ${bare25.toFixed(3)}x) median: ${tally(verdicts.median)}; ratios ${range(ratios)}`,
    );
    expect(count(verdicts.median, "regressed")).toBeGreaterThanOrEqual(19);
  }, 300_000);

  it("A/B ~5% slower: never flagged regressed at the 10% threshold", async () => {
    const { verdicts, ratios } = await runMany(1);
    console.log(
      `A/B +1 layer (bare-loop slowdown ${bare5.toFixed(3)}x) median: ${tally(verdicts.median)}; ratios ${range(ratios)}`,
    );
    expect(count(verdicts.median, "regressed")).toBe(0);
  }, 300_000);
});
