import { Option, type Command } from "commander";
import type { CliIo } from "../io.js";
import { UsageError } from "../../errors.js";
import { lineWriter } from "../line-writer.js";

interface PredictFlags {
  input: string;
  output: string;
  inputTable?: string;
  outputTable?: string;
  where?: string;
  select?: string;
  map: string[];
  shape: string[];
  keep?: string;
  batchSize: string;
  workers: string;
  threads: string;
  partRows?: string;
  resume?: boolean;
  restart?: boolean;
  compress?: boolean;
  shard?: string;
  onError: "fail" | "skip";
  rejects?: string;
  json?: boolean;
  quiet?: boolean;
  emitJob?: string;
  image?: string;
  shards?: string;
  parallelism?: string;
  jobName?: string;
}

const collect = (v: string, prev: string[]) => [...prev, v];
/** Flags that shape a run of the job rather than the predictions; not passed on to the pods. */
const JOB_ONLY = new Set([
  "--emit-job",
  "--image",
  "--shards",
  "--parallelism",
  "--job-name",
  "--shard",
  "--json",
  "--resume",
  "--restart",
]);

export function registerPredict(program: Command, io: CliIo): void {
  program
    .command("predict")
    .description(
      "run the model over Parquet, CSV, JSON Lines, .npy/.npz files or a DuckDB table, in streamed batches; resumable and shardable",
    )
    .argument("<model>", "path to an .onnx file")
    .requiredOption("-i, --input <path|glob>", "input file or glob (quote it): data/*.parquet")
    .requiredOption(
      "-o, --output <path>",
      "output .parquet, .csv, .jsonl or .duckdb ({shard} is replaced by the shard index)",
    )
    .option("--input-table <name>", "the table to read when the input is a DuckDB database")
    .option("--output-table <name>", "the table to write when the output is a DuckDB database", "predictions")
    .option("--where <sql>", "SQL filter on input rows: \"split = 'test'\"")
    .option("--select <sql>", 'SQL select list over input columns: "id, f0 * 2 AS f0"')
    .option(
      "--map <input=columns>",
      "feature columns of a model input: input=f0,f1,f2 or input=features; repeatable",
      collect,
      [],
    )
    .option(
      "--shape <input=dims>",
      "a row's shape for a model input with symbolic dims after the batch, e.g. x=3,48,192; repeatable",
      collect,
      [],
    )
    .option("--keep <columns>", "input columns copied to the output, e.g. id,ts")
    .option("--batch-size <n>", "rows per inference call", "64")
    .option(
      "--workers <n>",
      "worker threads, each with its own onnxruntime session (0: one per core on one thread each for a model with enough work per batch, else 1, and 2 from 1M rows)",
      "0",
    )
    .option(
      "--threads <n>",
      "onnxruntime intra-op threads per worker (0: one for a small model, else onnxruntime's default)",
      "0",
    )
    .option("--part-rows <n>", "rows per output part, the unit of --resume (default: ~8 MiB of outputs)")
    .option("--resume", "continue an interrupted run from its last complete part")
    .option("--restart", "discard the parts an interrupted run left and start over")
    .option(
      "--compress",
      "zstd-compress a Parquet output (DuckDB then encodes every part: slower on wide outputs; by default plain numeric columns are written uncompressed)",
    )
    .option("--shard <I/N>", "process the I-th of N equal, contiguous slices of the input rows")
    .addOption(
      new Option("--on-error <mode>", "bad rows: fail the run, or skip them into a rejects file")
        .choices(["fail", "skip"])
        .default("fail"),
    )
    .option("--rejects <file>", "where rejected rows go with --on-error skip (default OUTPUT.rejects.jsonl)")
    .option("--json", "print progress and the summary as JSON lines")
    .option("--quiet", "no progress or summary")
    .option(
      "--emit-job <file>",
      "write a Kubernetes Indexed Job (YAML) that runs this prediction as --shards pods; predicts nothing",
    )
    .option("--image <ref>", "the image the Job runs (with --emit-job), e.g. one `mlpack build` made")
    .option("--shards <N>", "pods in the Job (with --emit-job)", "4")
    .option("--parallelism <P>", "pods at once (with --emit-job; default all)")
    .option("--job-name <name>", "the Job's name (with --emit-job)", "mlpack-predict")
    .action(async (model: string, flags: PredictFlags, cmd: Command) => {
      const o = await import("../../predict/options.js");
      if (flags.emitJob) return emitJob(model, flags, cmd, io);
      const { predict } = await import("../../predict/predict.js");
      const events = await import("../../predict/events.js");
      const verbose = Boolean(cmd.optsWithGlobals().verbose);
      // The live bar needs raw writes (carriage returns); elsewhere whole lines go through CliIo.
      const tty = !flags.json && process.stderr.isTTY === true;
      const emit = flags.quiet
        ? () => {}
        : flags.json
          ? events.jsonRenderer(lineWriter(io.out))
          : events.textRenderer({
              write: tty ? (s) => void process.stderr.write(s) : lineWriter(io.err),
              tty,
              verbose,
            });
      await predict(
        {
          model,
          input: flags.input,
          output: flags.output,
          inputTable: flags.inputTable,
          outputTable: flags.outputTable,
          where: flags.where,
          select: flags.select,
          map: o.parseMap(flags.map),
          shapes: o.parseShapes(flags.shape),
          keep: o.splitList(flags.keep),
          batchSize: o.parsePositiveInt("--batch-size", flags.batchSize),
          workers: o.parsePositiveInt("--workers", flags.workers, 0),
          threads: o.parsePositiveInt("--threads", flags.threads, 0),
          partRows:
            flags.partRows !== undefined ? o.parsePositiveInt("--part-rows", flags.partRows) : undefined,
          resume: Boolean(flags.resume),
          restart: Boolean(flags.restart),
          compress: Boolean(flags.compress),
          shard: flags.shard !== undefined ? o.parseShard(flags.shard) : undefined,
          onError: flags.onError,
          rejects: flags.rejects,
        },
        {
          emit,
          logger: {
            info: () => {},
            debug: () => {},
            warn: (m) => io.err(`warning: ${m}`),
            error: (m) => io.err(`error: ${m}`),
          },
        },
      );
    });
}

async function emitJob(model: string, flags: PredictFlags, cmd: Command, io: CliIo): Promise<void> {
  const o = await import("../../predict/options.js");
  if (!flags.image)
    throw new UsageError("--emit-job needs --image", {
      hint: "the image that runs mlpack, e.g. one built by `mlpack build`",
    });
  const { makePredictJob, renderJobYaml } = await import("../../predict/k8s-job.js");
  const { writeFileAtomic } = await import("../../write-atomic.js");
  const shards = o.parsePositiveInt("--shards", flags.shards ?? "4");
  // The pods get the same prediction flags as this command line, minus the ones about the Job itself.
  const predictArgs = [model];
  for (const opt of cmd.options) {
    const key = opt.attributeName() as keyof PredictFlags;
    const value = flags[key];
    if (
      !opt.long ||
      JOB_ONLY.has(opt.long) ||
      value === undefined ||
      cmd.getOptionValueSource(key) === "default"
    )
      continue;
    if (value === true) predictArgs.push(opt.long);
    else if (Array.isArray(value)) for (const v of value) predictArgs.push(opt.long, v);
    else predictArgs.push(opt.long, String(value));
  }
  const job = makePredictJob({
    name: flags.jobName ?? "mlpack-predict",
    image: flags.image,
    shards,
    parallelism:
      flags.parallelism !== undefined ? o.parsePositiveInt("--parallelism", flags.parallelism) : undefined,
    predictArgs,
  });
  writeFileAtomic(flags.emitJob!, renderJobYaml(job));
  io.err(
    `predict: wrote ${flags.emitJob} (Indexed Job, ${shards} shards); apply it with kubectl apply -f ${flags.emitJob}`,
  );
}
