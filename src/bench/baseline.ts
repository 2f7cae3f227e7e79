/**
 * The versioned bench JSON (schema "mlpack-bench", schemaVersion 1): what `--json` prints and what
 * `--save-baseline` writes, with raw samples and the hardware fingerprint so a later run can compare
 * against it. Parsing checks the structure and says what is wrong.
 */
import { UserError } from "../errors.js";
import { readRegularFileSync } from "../read-regular-file.js";
import { writeFileAtomic } from "../write-atomic.js";
import type { Comparison } from "./gate.js";
import type { BenchReport, Measurement } from "./types.js";

export const BENCH_SCHEMA = "mlpack-bench";
export const BENCH_SCHEMA_VERSION = 1;

/** The baseline of a run: the candidate model's measurements only. */
export function toBaseline(report: BenchReport): BenchReport {
  return {
    ...report,
    models: report.models.filter((m) => m.role === "candidate"),
    results: report.results.filter((r) => r.role === "candidate"),
  };
}

/** `--json`: the report, and the comparison when there is one. */
export function reportToJson(report: BenchReport, comparison?: Comparison): string {
  return JSON.stringify(comparison ? { ...report, comparison } : report, null, 2);
}

/** Baselines are small JSON documents; anything this large is the wrong file. */
const MAX_BASELINE_BYTES = 256 << 20;

const isNumArray = (x: unknown): x is number[] => Array.isArray(x) && x.every((v) => typeof v === "number");

function checkMeasurement(m: unknown, i: number, bad: (why: string) => UserError): Measurement {
  const r = m as Partial<Measurement> | null;
  const at = `results[${i}]`;
  if (!r || typeof r !== "object") throw bad(`${at} is not an object`);
  for (const k of ["batch", "concurrency"] as const)
    if (typeof r[k] !== "number") throw bad(`${at}.${k} is missing or not a number`);
  for (const k of ["samplesMs", "roundSizes", "roundWallMs"] as const)
    if (!isNumArray(r[k])) throw bad(`${at}.${k} is missing or not an array of numbers`);
  const total = r.roundSizes!.reduce((a, b) => a + b, 0);
  if (total !== r.samplesMs!.length)
    throw bad(`${at}: roundSizes add up to ${total}, but there are ${r.samplesMs!.length} samples`);
  if (r.roundWallMs!.length !== r.roundSizes!.length)
    throw bad(`${at}: roundWallMs and roundSizes differ in length`);
  if (r.samplesMs!.length === 0) throw bad(`${at} has no samples`);
  if (!r.latency || !r.throughput) throw bad(`${at} has no latency/throughput statistics`);
  return r as Measurement;
}

/** Parses and checks a baseline (or a full `--json` report; its candidate measurements are used). */
export function parseBaseline(text: string, source: string): BenchReport {
  const bad = (why: string) =>
    new UserError(`${source}: not a usable mlpack bench baseline (${why})`, {
      hint: "write one with `mlpack bench MODEL --save-baseline FILE` (or --json)",
    });
  let doc: Partial<BenchReport> & { schema?: unknown; schemaVersion?: unknown };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch (e) {
    throw bad(`invalid JSON: ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== "object") throw bad("not a JSON object");
  if (doc.schema !== BENCH_SCHEMA)
    throw bad(`schema is ${JSON.stringify(doc.schema)}, expected "${BENCH_SCHEMA}"`);
  if (typeof doc.schemaVersion !== "number") throw bad("schemaVersion is missing");
  if (doc.schemaVersion > BENCH_SCHEMA_VERSION)
    throw new UserError(
      `${source}: baseline schemaVersion ${doc.schemaVersion} is newer than this mlpack reads (${BENCH_SCHEMA_VERSION})`,
      {
        hint: "upgrade mlpack, or re-create the baseline with this version",
      },
    );
  if (doc.schemaVersion < 1) throw bad(`unknown schemaVersion ${doc.schemaVersion}`);
  if (!doc.fingerprint || typeof doc.fingerprint !== "object") throw bad("fingerprint is missing");
  if (!doc.runtime || typeof doc.runtime !== "object") throw bad("runtime is missing");
  if (!Array.isArray(doc.results)) throw bad("results is missing");
  const results = doc.results.map((m, i) => checkMeasurement(m, i, bad));
  const candidate = results.filter((r) => r.role !== "baseline");
  if (candidate.length === 0) throw bad("it holds no measurements of a candidate model");
  return {
    ...(doc as BenchReport),
    results: candidate,
    models: (doc.models ?? []).filter((m) => m.role !== "baseline"),
  };
}

export function readBaseline(file: string): BenchReport {
  let text: string;
  try {
    text = readRegularFileSync(file, { what: "baseline", maxBytes: MAX_BASELINE_BYTES }).toString("utf8");
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    throw new UserError(e.message, {
      hint: /no such file/.test(e.message)
        ? "create it with `mlpack bench MODEL --save-baseline FILE` (in CI, restore it from the cache first)"
        : e.hint,
    });
  }
  return parseBaseline(text, file);
}

/** Writes a file whole or not at all: to a temporary name in the same directory, then renamed. */
export function writeBaseline(file: string, report: BenchReport): void {
  writeFileAtomic(file, JSON.stringify(toBaseline(report), null, 2) + "\n");
}
