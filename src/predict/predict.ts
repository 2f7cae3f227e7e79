/**
 * `mlpack predict` as a plan: read the model, resolve the inputs and this shard's rows, open or resume
 * the parts, stream batches through the worker pool in order, write parts, and finalize the output.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { UserError } from "../errors.js";
import { checkOutputFile } from "../write-atomic.js";
import { silentLogger, type Logger } from "../log.js";
import { datatypeInfo, type Tensor } from "../serve/datatypes.js";
import type { TensorSpec } from "../serve/model-info.js";
import type { Duck } from "./duck.js";
import type { PredictEmit } from "./events.js";
import { BatchBuilder, bindInputs, columnsFor, keepColumns, type Batch, type Binding } from "./features.js";
import { inputFormat, isGlob, outputFormat } from "./formats.js";
import { parquetColumns, readsWhole } from "./parquet-columns.js";
import { jobDifference, readManifest, sha256File, type Manifest } from "./manifest.js";
import { shardOutputPath, type PredictOptions } from "./options.js";
import type { OutputSchema } from "./output-schema.js";
import type { PartWriter } from "./part-writer.js";
import { SlabPool } from "./slab-pool.js";
import { scanModel, type ModelScan } from "../onnx/scan-model.js";
import type { InputFile, Needed } from "./source.js";
import type { Chunk } from "./columns.js";

export interface PredictDeps {
  emit: PredictEmit;
  logger?: Logger;
  now?: () => number;
  /** Rows from which a model too small to split gets a second worker (default GROW_AT_ROWS). */
  growAtRows?: number;
}

export interface PredictResult {
  read: number;
  written: number;
  rejected: number;
  output: string;
  rejects?: string;
  ms: number;
}

interface FilePlan {
  file: InputFile;
  bindings: Binding[];
  keep: number[];
  /** Position of the file's first row in the whole input. */
  start: number;
}

export async function predict(o: PredictOptions, deps: PredictDeps): Promise<PredictResult> {
  const now = deps.now ?? (() => performance.now());
  const t0 = now();
  const output = shardOutputPath(o.output, o.shard);
  const format = outputFormat(output);
  const table = o.outputTable ?? "predictions";
  const base = format === "duckdb" ? `${output}.${table}` : output;
  const rejectsPath = o.rejects ? shardOutputPath(o.rejects, o.shard) : `${base}.rejects.jsonl`;
  const dir = `${base}.parts`;
  checkModelFile(o.model);
  // The output is renamed into place at the end: a FIFO or a device there would be replaced.
  checkOutputFile(output, "output");
  checkOutputFile(rejectsPath, "rejects file");

  // The workers load the model (seconds for a big one) while the input is resolved and the model
  // hashed; their sessions also say what the inputs and outputs are, so it is never parsed here.
  // With --threads given nothing is chosen from the model, so it is not read (see modelSizes).
  const cores = os.availableParallelism();
  const sizes = o.threads ? undefined : modelSizes(o.model, o.batchSize);
  const dense = sizes?.dense ?? Infinity;
  const workers = Math.max(
    1,
    o.workers || (sizes ? defaultWorkers(dense, sizes.bytes, o.batchSize, cores, os.totalmem()) : 1),
  );
  const threads = o.threads || defaultThreads(dense, workers, o.batchSize, cores);
  // A model too small to split gets one worker (see defaultWorkers), but on a long input that worker,
  // not the main thread, sets the pace since the Parquet reader was written: a second one paid off from
  // about 2M rows (2.5-2.65 s against 3.0 s) and only cost start-up time on 100k rows (GROW_AT_ROWS).
  // A plain Parquet input's footer gives its rows now, so the second worker starts beside the first;
  // otherwise it is started once the input is resolved.
  const small = !o.workers && !o.threads && cores >= 2 && tooLittleToSplit(dense, o.batchSize);
  const growAt = deps.growAtRows ?? GROW_AT_ROWS;
  const early = small ? footerRows(o) : undefined;
  const growEarly = early !== undefined && early >= growAt;
  if (growEarly) deps.logger?.debug(`${early} rows: starting a second worker`);
  const init = { model: o.model, intraOpThreads: threads };
  const starting = SlabPool.start(init, workers, {
    count: growEarly ? 1 : 0,
    onError: (e) => deps.logger?.debug(`a second predict worker did not start: ${e.message}`),
  });
  starting.catch(() => {}); // awaited below
  // None of these loads DuckDB (see duckdb-api.ts): it is opened on first use, and a Parquet input
  // read whole with a Parquet output never uses it.
  const modules = Promise.all([
    import("./duck.js"),
    import("./source.js"),
    import("./output-schema.js"),
    import("./part-writer.js"),
  ]);
  modules.catch(() => {}); // awaited below
  let pool: SlabPool | undefined;
  let duckOpening: Promise<Duck> | undefined;
  let writer: PartWriter | undefined;
  let writerOpen: Promise<void> | undefined;
  let prefetch: Prefetch | undefined;
  try {
    const modelHash = sha256File(o.model);
    const q = { where: o.where, select: o.select, table: o.inputTable };
    const [
      { openDuck },
      { resolveInputs, streamFile },
      { outputColumns },
      { finalize, PartWriter, partFormatFor },
    ] = await modules;
    const getDuck = () => (duckOpening ??= openDuck());
    const opened = resolveInputs(getDuck, o.input, q);
    // While the workers start, this thread reads the first rows of the columns the model's inputs
    // probably take (a fresh run of a plain Parquet input, inputs named as the scan found them); they
    // are used if the bindings agree once the sessions say what the inputs are.
    const [early] = await Promise.allSettled([opened]);
    if (early.status === "fulfilled" && sizes?.inputs)
      prefetch = startPrefetch(early.value, sizes.inputs, o, dir, (file, row, n, needed) =>
        streamFile(getDuck, file, q, row, n, needed),
      );
    // The model's errors come first, as when it was read before anything else.
    const [started, resolved] = await Promise.allSettled([starting, opened]);
    if (started.status === "fulfilled") pool = started.value;
    else throw started.reason;
    if (resolved.status === "rejected") throw resolved.reason;
    const files = resolved.value;
    const info = modelInfo(pool);
    const batchSize = batchSizeFor(info, o.batchSize, deps.logger ?? silentLogger);
    pool.batchSize = batchSize;
    let start = 0;
    const plans: FilePlan[] = files.map((file) => {
      const plan = {
        file,
        bindings: bindInputs(info.inputs, file, o.map, o.shapes),
        keep: keepColumns(file, o.keep),
        start,
      };
      start += file.rows;
      return plan;
    });
    const total = start;
    const [lo, hi] = shardRange(total, o.shard);

    const job = {
      model: modelHash,
      inputs: files.map((f) => ({ path: path.resolve(f.path), size: f.size, mtimeMs: f.mtimeMs })),
      where: o.where ?? null,
      select: o.select ?? null,
      map: o.map,
      // only when given, so that runs made before --shape existed still resume
      ...(o.shapes && Object.keys(o.shapes).length > 0 ? { shapes: o.shapes } : {}),
      keep: o.keep,
      shard: o.shard ? `${o.shard.index}/${o.shard.count}` : null,
      onError: o.onError,
    };
    const manifest = openManifest(dir, job, o);
    const resumed = manifest.parts.reduce((n, p) => n + p.read, 0);
    const schema: OutputSchema = {
      keep: plans[0].keep.map((i) => plans[0].file.columns[i]),
      outputs: outputColumns(
        info.outputs,
        plans[0].keep.map((i) => plans[0].file.columns[i]),
      ),
    };
    if (small && !growEarly && hi - lo - resumed >= growAt) {
      deps.logger?.debug(`${hi - lo - resumed} rows: starting a second worker`);
      pool.grow(init, (e) => deps.logger?.debug(`a second predict worker did not start: ${e.message}`));
    }
    const partRows = o.partRows ?? defaultPartRows(schema, batchSize);
    deps.emit({
      event: "start",
      model: o.model,
      files: files.length,
      rows: hi - lo,
      resumed,
      ...(o.shard ? { shard: `${o.shard.index}/${o.shard.count}` } : {}),
      output,
    });

    const parts = new PartWriter(
      getDuck,
      dir,
      schema,
      manifest,
      (index) => {
        const p = manifest.parts[index];
        deps.emit({ event: "part", index, read: p.read, written: p.written, rejected: p.rejected });
      },
      partFormatFor(format, manifest),
      o.compress ?? false,
      format === "parquet",
    );
    writer = parts;
    // Without a template for direct parts, its buffer table is a DuckDB query on DuckDB's threads: it
    // runs while this thread reads the first rows, and is awaited before the first result is added.
    writerOpen = parts.open();
    writerOpen.catch(() => {}); // awaited below, and before DuckDB closes

    let done = resumed;
    let lastProgress = 0;
    const runStart = now();
    const progress = (force = false) => {
      const t = now();
      if (!force && t - lastProgress < 200) return;
      lastProgress = t;
      const rate = (done - resumed) / Math.max((t - runStart) / 1000, 1e-3);
      deps.emit({
        event: "progress",
        rows: done,
        total: hi - lo,
        rowsPerSec: rate,
        ...(rate > 0 ? { etaSec: (hi - lo - done) / rate } : {}),
      });
    };
    // Slabs run on the pool while the next ones are read; results are written strictly in order. Up
    // to 32 MiB of slab inputs (at least two slabs per worker) are in flight, so memory is bounded by
    // the slab size, whatever the input's size. Two slabs of a small model were ~7 ms of work: the
    // worker then sat idle while this thread decoded the next Parquet page (tens of ms for DuckDB's
    // one page per row group); 16 in flight ran 2M rows in ~2.0 s instead of ~2.4.
    const inflight: { batch: Batch; result: Promise<Record<string, Tensor>> }[] = [];
    const slab = slabRows(plans[0].bindings, batchSize, partRows);
    const maxInflight = Math.max(
      workers * 2,
      Math.floor((32 * 2 ** 20) / Math.max(1, slab * inputRowBytes(plans[0].bindings))),
    );
    const completeOldest = async () => {
      const { batch, result } = inflight.shift()!;
      const outputs = await result;
      await writerOpen!;
      await parts.add(batch, outputs);
      done += batch.read;
      if (parts.pending >= partRows) await commitPart();
      progress();
    };
    const commitPart = (force = false) => parts.commit(force);
    const submit = async (batch: Batch) => {
      while (inflight.length >= maxInflight) await completeOldest();
      const result = batch.rows === 0 ? Promise.resolve({}) : runBatch(pool!, batch);
      result.catch(() => {}); // awaited in order by completeOldest
      inflight.push({ batch, result });
    };

    const builder = new BatchBuilder(o.keep, slab, o.onError, pool?.spare);
    for (const plan of plans) {
      const from = Math.max(lo + resumed, plan.start);
      const to = Math.min(hi, plan.start + plan.file.rows);
      if (to <= from) continue;
      builder.setFile(plan.file, plan.bindings, plan.keep);
      let row = from - plan.start;
      const needed = { inputs: plan.bindings.flatMap((b) => b.columns), keep: plan.keep };
      const p = prefetch;
      prefetch = undefined;
      const ahead =
        p && p.file === plan.file && p.row === row && p.count === to - from && sameNeeds(p.needed, needed);
      if (p) deps.logger?.debug(`the first rows read ahead: ${ahead ? "used" : "read again"}`);
      if (p && !ahead) await p.close();
      const chunks = ahead ? p.chunks() : streamFile(getDuck, plan.file, q, row, to - from, needed);
      for await (const chunk of chunks) {
        for (const batch of builder.add(chunk, row)) await submit(batch);
        row += chunk.rowCount;
      }
    }
    const last = builder.flush();
    if (last) await submit(last);
    while (inflight.length > 0) await completeOldest();
    await writerOpen;
    // A run with no rows still writes one (empty) part, so the output has the columns.
    await parts.settle();
    await commitPart(manifest.parts.length === 0);
    await parts.settle();
    parts.close();
    progress(true);

    await finalize(getDuck, dir, manifest, { output, format, table, rejects: rejectsPath });
    fs.rmSync(dir, { recursive: true, force: true });
    const read = manifest.parts.reduce((n, p) => n + p.read, 0);
    const written = manifest.parts.reduce((n, p) => n + p.written, 0);
    const rejected = manifest.parts.reduce((n, p) => n + p.rejected, 0);
    if (read !== written + rejected || read !== hi - lo)
      throw new Error(
        `row accounting: read ${read}, written ${written}, rejected ${rejected}, expected ${hi - lo}`,
      );
    const result: PredictResult = {
      read,
      written,
      rejected,
      output,
      ...(rejected > 0 ? { rejects: rejectsPath } : {}),
      ms: now() - t0,
    };
    deps.emit({ event: "done", status: "ok", ...result });
    return result;
  } finally {
    await prefetch?.close();
    // A part still being written in the background, or the writer's opening queries, finish (or
    // fail) before DuckDB closes.
    await writerOpen?.catch(() => {});
    await writer?.settle().catch(() => {});
    // The workers release their sessions and exit while DuckDB closes on this thread.
    const closing = pool ? pool.close() : starting.then((p) => p.close()).catch(() => {});
    if (duckOpening) await duckOpening.then(closeQuietly, () => {});
    await closing;
  }
}

/**
 * The rows this run (or shard) will read, from a plain Parquet input's footer before anything else is
 * started; undefined when only DuckDB can say (a glob, --where/--select, another format). A resumed
 * run counts its rows done too: at worst a second worker starts for rows already written.
 */
function footerRows(o: PredictOptions): number | undefined {
  if (isGlob(o.input) || !readsWhole(o)) return undefined;
  try {
    if (inputFormat(o.input) !== "parquet") return undefined;
    if (!fs.statSync(o.input).isFile()) return undefined; // a FIFO would block the open
  } catch {
    return undefined; // resolveInputs says what is wrong, after the model's errors
  }
  const total = parquetColumns(o.input)?.rows;
  if (total === undefined) return undefined;
  const [lo, hi] = shardRange(total, o.shard);
  return hi - lo;
}

/** Rows [lo, hi) of `total` that shard I/N reads (all of them without --shard): contiguous, deterministic. */
function shardRange(total: number, shard: PredictOptions["shard"]): [number, number] {
  if (!shard) return [0, total];
  return [
    Math.floor((shard.index * total) / shard.count),
    Math.floor(((shard.index + 1) * total) / shard.count),
  ];
}

/** The first rows of a run, read ahead (see predict): its generator, the first chunk already asked for. */
interface Prefetch {
  file: InputFile;
  row: number;
  count: number;
  needed: Needed;
  /** The chunks from the first, read ahead, on. */
  chunks(): AsyncGenerator<Chunk>;
  /** Ends the read ahead (its file closed, a DuckDB stream finished) when chunks() is not used. */
  close(): Promise<void>;
}

type Streamer = (file: InputFile, row: number, count: number, needed: Needed) => AsyncGenerator<Chunk>;

/**
 * Starts reading the first chunk of a fresh run (no interrupted run to resume: its rows could start
 * anywhere) over a plain Parquet input, binding the model inputs the scan found as bindInputs would;
 * undefined when anything is unclear (the real bindings then read as before).
 */
function startPrefetch(
  files: InputFile[],
  inputs: string[],
  o: PredictOptions,
  dir: string,
  stream: Streamer,
): Prefetch | undefined {
  if (!readsWhole(o) || (!o.restart && fs.existsSync(dir))) return undefined;
  const [lo, hi] = shardRange(
    files.reduce((n, f) => n + f.rows, 0),
    o.shard,
  );
  let start = 0;
  const at = files.findIndex((f) => (start += f.rows) > lo);
  const file = files[at];
  if (!file || file.format !== "parquet" || hi <= lo) return undefined;
  const first = start - file.rows;
  const names = file.columns.map((c) => c.name);
  const columns: number[] = [];
  for (const input of inputs) {
    const cols = columnsFor(input, inputs.length, names, o.map);
    if (!cols || cols.some((c) => !names.includes(c))) return undefined;
    columns.push(...cols.map((c) => names.indexOf(c)));
  }
  const keep = o.keep.map((k) => names.indexOf(k));
  if (keep.some((k) => k < 0)) return undefined;
  const row = lo - first;
  const count = Math.min(hi, start) - lo;
  const needed = { inputs: columns, keep };
  const gen = stream(file, row, count, needed);
  const head = gen.next(); // reads the first chunk now, on this thread
  head.catch(() => {}); // surfaces where the chunks are read, or not at all
  return {
    file,
    row,
    count,
    needed,
    chunks: async function* () {
      // The reader's generator is ended whatever ends this one (a bad row thrown by the caller while
      // the first chunk is out included): its finally closes the file.
      try {
        const r = await head;
        if (r.done) return;
        yield r.value;
        yield* gen;
      } finally {
        await gen.return(undefined);
      }
    },
    close: async () => {
      await gen.return(undefined).catch(() => {});
    },
  };
}

const sameNeeds = (a: Needed, b: Needed) =>
  a.inputs.length === b.inputs.length &&
  a.inputs.every((c, i) => c === b.inputs[i]) &&
  a.keep.length === b.keep.length &&
  a.keep.every((c, i) => c === b.keep[i]);

function checkModelFile(model: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(model);
  } catch {
    throw new UserError(`model ${model}: no such file`, { hint: "check the path to the .onnx file" });
  }
  if (!st.isFile())
    throw new UserError(`model ${model}: not a regular file`, { hint: "pass the path to the .onnx file" });
}

interface ModelInfo {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

function modelInfo(pool: SlabPool): ModelInfo {
  const info = { inputs: pool.inputs, outputs: pool.outputs };
  for (const i of info.inputs)
    if (["BYTES", "FP16"].includes(i.datatype) || !datatypeInfo(i.datatype))
      throw new UserError(`model input "${i.name}" is ${i.datatype}; mlpack predict feeds numeric inputs`, {
        hint: "cast the input inside the model (a Cast node at its start)",
      });
  return info;
}

/** A model with a fixed batch of 1 (common in exported heads) runs row by row. */
function batchSizeFor(info: ModelInfo, asked: number, logger: Logger): number {
  const fixed = info.inputs.filter((i) => typeof i.shape?.[0] === "number");
  if (fixed.length === 0) return asked;
  if (fixed.every((i) => i.shape![0] === 1)) {
    if (asked !== 1) logger.warn(`the model's batch dimension is fixed at 1; running one row at a time`);
    return 1;
  }
  const odd = fixed.find((i) => i.shape![0] !== 1)!;
  throw new UserError(
    `model input "${odd.name}" has its first dimension fixed at ${odd.shape![0]} ([${odd.shape!.map((d) => d ?? "?").join(", ")}]), so rows cannot be batched along it`,
    {
      hint: "export the model with a symbolic (dynamic) batch dimension",
    },
  );
}

function openManifest(dir: string, job: Record<string, unknown>, o: PredictOptions): Manifest {
  const existing = readManifest(dir);
  if (existing && !o.resume && !o.restart)
    throw new UserError(`an interrupted run left ${existing.parts.length} complete part(s) in ${dir}`, {
      hint: "pass --resume to continue it, or --restart to discard it and start over",
    });
  if (existing && o.resume && !o.restart) {
    const diff = jobDifference(existing.job, job);
    if (diff)
      throw new UserError(`--resume: the parts in ${dir} were made with a different ${diff}`, {
        hint: "run with the same model, inputs and options, or pass --restart to start over",
      });
    return existing;
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return { version: 1, job, parts: [] };
}

/**
 * What the default layout is chosen from, with the model file read at most once:
 * - `dense`: the model's weight bytes when it may be a small dense model (what defaultThreads'
 *   one-thread rule is for), else Infinity. A file too big for the rule is not read for it. A small one
 *   is (milliseconds: the rule only applies under ~1 MB at batch 64): weights in external data files
 *   count, and a graph with inputs of more than 2 dims (images, sequences) or with convolutions,
 *   recurrences or loops anywhere does far more work per weight than a batch of rows times its
 *   weights, so it keeps onnxruntime's default. Anything unreadable also keeps the default (the
 *   worker's session reports the error).
 * - `bytes`: the model's bytes as a session holds them: the file, plus its external data files when
 *   the file is small enough (16 MiB) to be only a graph that points at them (a big file is read by
 *   the workers, not here).
 */
export function modelSizes(
  model: string,
  batchSize: number,
): { dense: number; bytes: number; inputs?: string[] } {
  const size = fs.statSync(model).size;
  const small = tooLittleToSplit(size, batchSize);
  if (!small && size > 16 * 2 ** 20) return { dense: Infinity, bytes: size };
  try {
    const m = scanModel(fs.readFileSync(model));
    const bytes = withExternalData(model, size, m);
    // Rows of features: inputs of rank 1 or 2. Images and sequences multiply the work per weight.
    const heavy =
      m.inputs.some((i) => (i.rank ?? 9) > 2) || [...m.ops].some((op) => HEAVY_PER_WEIGHT.test(op));
    return {
      dense: small && !heavy && bytes !== undefined ? bytes : Infinity,
      bytes: bytes ?? size,
      inputs: m.inputs.map((i) => i.name),
    };
  } catch {
    return { dense: Infinity, bytes: size };
  }
}

/** modelSizes' `dense`. */
export function denseWeightBytes(model: string, batchSize: number): number {
  return modelSizes(model, batchSize).dense;
}

/**
 * The model file's bytes plus those of the external data files it names, or undefined when one is
 * missing or lies outside the model's folder (the worker's session then says what is wrong).
 */
function withExternalData(model: string, fileBytes: number, m: ModelScan): number | undefined {
  const dir = fs.realpathSync(path.dirname(model));
  let total = fileBytes;
  for (const location of m.externalFiles) {
    let real: string;
    try {
      real = fs.realpathSync(path.resolve(dir, location));
    } catch {
      return undefined;
    }
    if (!real.startsWith(dir + path.sep)) return undefined;
    total += fs.statSync(real).size;
  }
  return total;
}

/** Rows left to predict from which a model too small to split gets a second worker (see predict). */
const GROW_AT_ROWS = 1_000_000;

/** Ops that reuse each weight many times per row (over positions, time steps or iterations). */
const HEAVY_PER_WEIGHT = /Conv|Pool|LSTM|GRU|^RNN$|Loop|Scan|Attention|Resize|Upsample/;

/**
 * Workers when neither --workers nor --threads is given: one per core, each on one intra-op thread,
 * for a model with enough work per batch to split (see tooLittleToSplit), as many as fit a quarter of
 * the machine's memory (at most 8 GiB) at the model's size each; one otherwise. Independent sessions
 * beat one session's thread pool here: its parallel loops wait at every barrier for a thread that the
 * main thread or DuckDB preempted. Measured on 2 cores (streaming rows/s, batch 64): the 25M-parameter
 * MLP 2,485 on one worker × 2 threads against 3,345-3,553 on two × 1 (onnxruntime alone in process on
 * 2 threads: about 3,000); a small ResNet (16-32-64, 32×32 images) 3,782-3,910 against 5,308-5,360.
 * A model too small to split stays on one worker and thread: its runs are short, and the main thread
 * (reading and writing rows) is what limits it.
 */
export function defaultWorkers(
  denseBytes: number,
  fileBytes: number,
  batchSize: number,
  cores: number,
  totalMem: number,
): number {
  if (cores < 2 || tooLittleToSplit(denseBytes, batchSize)) return 1;
  const byMemory = Math.floor(Math.min(totalMem / 4, 8 * 2 ** 30) / Math.max(1, fileBytes));
  return Math.max(1, Math.min(cores, byMemory));
}

/**
 * onnxruntime intra-op threads per worker when --threads is not given. Several workers share the
 * cores. One worker gets onnxruntime's default (a thread per core) unless a batch is too little work
 * to split: a model of under ~16M multiply-adds per batch (weights estimated from the file's size,
 * 4 bytes each, see denseWeightBytes) runs faster on one thread, and leaves the other cores to DuckDB
 * and the main thread.
 * Measured on 2 cores at batch 64: a 64-128-64-10 MLP 1.0-1.1M rows/s on one thread against
 * 0.83-0.89M on two; a 131k-weight MLP about even; 525k weights and up clearly faster on two.
 */
export function defaultThreads(
  modelBytes: number,
  workers: number,
  batchSize: number,
  cores: number,
): number {
  if (workers > 1) return Math.max(1, Math.floor(cores / workers));
  return tooLittleToSplit(modelBytes, batchSize) ? 1 : 0;
}

/** Under ~16M multiply-adds a batch (4 bytes a weight, one multiply-add per weight and row). */
function tooLittleToSplit(weightBytes: number, batchSize: number): boolean {
  return (weightBytes / 4) * batchSize < 2 ** 24;
}

function defaultPartRows(s: OutputSchema, batchSize: number): number {
  const rowBytes =
    16 * s.keep.length +
    s.outputs.reduce((n, o) => n + (o.width ?? 16) * Math.max(1, datatypeInfo(o.datatype).bytes), 0);
  // About 8 MiB of output: the part is buffered in DuckDB (several times that in memory) until written.
  const rows = Math.min(1_000_000, Math.max(batchSize, Math.floor((8 * 2 ** 20) / rowBytes)));
  return Math.ceil(rows / batchSize) * batchSize;
}

/**
 * Rows per worker message: whole batches, about 4 MiB of input (at most 8192 rows and a part), so that a message
 * carries enough work to hide the hop between threads and little enough to keep memory flat.
 */
/** Bytes of model input a row takes (a symbolic width counted as 16 values). */
function inputRowBytes(bindings: Binding[]): number {
  return bindings.reduce(
    (n, b) => n + (b.width ?? 16) * Math.max(1, datatypeInfo(b.input.datatype).bytes),
    0,
  );
}

export function slabRows(bindings: Binding[], batchSize: number, partRows: number): number {
  const rowBytes = inputRowBytes(bindings);
  const batches = Math.floor((4 * 2 ** 20) / Math.max(1, rowBytes * batchSize));
  // Never more than a part: parts end on slab boundaries, and --part-rows should mean what it says.
  const cap = Math.min(Math.ceil(8192 / batchSize), Math.ceil(partRows / batchSize));
  return batchSize * Math.max(1, Math.min(batches, cap));
}

async function runBatch(pool: SlabPool, batch: Batch): Promise<Record<string, Tensor>> {
  try {
    return await pool.run(batch.feeds);
  } catch (e) {
    throw new UserError(`onnxruntime failed on a batch of ${batch.rows} rows: ${(e as Error).message}`, {
      hint: "check the mapped columns against the model's inputs (`mlpack inspect MODEL`)",
    });
  }
}

function closeQuietly(duck: Duck): void {
  try {
    duck.close();
  } catch {
    // closing after a failed query must not hide the error that got us here
  }
}
