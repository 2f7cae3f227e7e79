import { Option, type Command } from "commander";
import type { CliIo } from "../io.js";
import { coalescingLines } from "../line-writer.js";
import {
  SERVE_OPTIONS,
  type OptionSpec,
  type RawServeOptions,
  type ServeOptionKey,
} from "../../serve/options.js";

const camel = (kebab: string) => kebab.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export function registerServe(program: Command, io: CliIo): void {
  const cmd = program
    .command("serve")
    .description("serve models over HTTP: Open Inference Protocol v2, POST /predict, GET /metrics")
    .argument("[models...]", "models to serve, as with --model")
    .option("--config <file>", "JSON file with the same option names as the flags (flags win)")
    .option(
      "--pipeline <name=A,B>",
      "also serve a chain of served models as model NAME (each step runs on that model's batcher); repeatable",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option(
      "--connect <A.out=B.in>",
      "which output of a --pipeline model feeds which input of a later one (default: single output to single input, or equal names); repeatable",
      (v: string, prev: string[] = []) => [...prev, v],
    );
  for (const spec of Object.values(SERVE_OPTIONS) as OptionSpec[]) {
    const help = spec.description + (spec.default !== undefined ? ` (default: ${spec.default})` : "");
    const opt = new Option(`--${spec.key} <${spec.valueName}>`, help);
    if (spec.kind === "models" || spec.kind === "list")
      opt.argParser((v: string, prev: string[] = []) => [...prev, v]);
    cmd.addOption(opt);
  }
  cmd.action(async (positional: string[], flags: Record<string, unknown>) => {
    const { serve, resolveServeOptions, readServeConfigFile, availableCores, createServeLogger } =
      await import("../../serve/index.js");
    const { parsePipelineFlags } = await import("../../serve/pipelines.js");
    const pipelines = parsePipelineFlags(
      (flags.pipeline as string[] | undefined) ?? [],
      (flags.connect as string[] | undefined) ?? [],
    );
    const { UserError } = await import("../../errors.js");
    const values: RawServeOptions = {};
    for (const [key, spec] of Object.entries(SERVE_OPTIONS) as [ServeOptionKey, OptionSpec][])
      values[key] = flags[camel(spec.key)];
    const models = [...positional, ...((flags.model as string[] | undefined) ?? [])];
    values.models = models.length > 0 ? models : undefined;
    const sources = flags.config ? [await readServeConfigFile(String(flags.config))] : [];
    const { options, warnings } = resolveServeOptions([...sources, { kind: "flag", values }], {
      cpuCount: availableCores(),
    });
    // stdout lines (the access log above all) are written once per event-loop turn; stderr at once.
    const stdout = coalescingLines(io.out);
    const logger = createServeLogger({
      level: program.opts().verbose ? "debug" : options.logLevel,
      format: options.logFormat,
      out: stdout.add,
      err: (line) => {
        stdout.flush();
        io.err(line);
      },
    });
    warnings.forEach((w) => logger.warn(w));
    // Before the models load: see heap-reserve.ts (a full collection every few hundred ms under load).
    const { holdHeapReserve } = await import("../../serve/heap-reserve.js");
    logger.debug(`holding ${holdHeapReserve() >> 20} MiB of V8 heap (fewer full collections under load)`);

    const handle = await serve(options, { logger, accessLog: (e) => logger.access(e), pipelines }).finally(
      stdout.flush,
    );
    for (const m of handle.service.models) {
      const batching = m.path.startsWith("pipeline ")
        ? "each step batched by its model"
        : m.batchable && options.maxBatchSize > 1
          ? `batching up to ${options.maxBatchSize} rows (${options.maxQueueDelayMs} ms)`
          : "no batching";
      logger.info(`model ${m.name} version ${m.version}: ${m.path}, ${batching}`);
    }
    logger.info(
      `${options.workers} worker(s) × ${options.intraOpThreads} intra-op thread(s), cache ${options.cacheSize > 0 ? `${options.cacheSize} entries` : "off"}, max body ${options.maxBody} bytes, compute deadline ${options.requestTimeoutMs > 0 ? `${options.requestTimeoutMs} ms` : "off"}`,
    );
    for (const r of handle.service.rollouts?.status() ?? [])
      logger.info(
        r.mode === "canary"
          ? `canary: model ${r.model} version ${r.candidate} gets ${r.weight}% of /v2/models/${r.model}/infer, version ${r.stable} the rest; automatic rollback when, over ${r.rule.window}, its 5xx ratio exceeds stable's by ${+(r.rule.maxErrorRatioIncrease * 100).toFixed(4)} points or its p99 is over ${r.rule.maxP99Ratio}x stable's`
          : `shadow: model ${r.model} version ${r.candidate} gets a copy of every request version ${r.stable} answers`,
      );
    if (handle.admin) logger.info(`admin endpoint on ${handle.admin.url}/admin/status`);
    logger.info(`listening on ${handle.url}`);
    if (handle.grpc) logger.info(`gRPC (OIP v2) listening on ${handle.grpc.host}:${handle.grpc.port}`);

    // SIGHUP: re-read the config's weights (flags still win, as at start-up).
    const reload = () => {
      if (!flags.config)
        return logger.warn("SIGHUP: serve was started without --config, so there is nothing to re-read");
      readServeConfigFile(String(flags.config))
        .then((source) => {
          const next = resolveServeOptions([source, { kind: "flag", values }], {
            cpuCount: availableCores(),
          });
          for (const m of handle.service.rollouts?.reload(next.options.canary ?? []) ?? [])
            logger[m.level](`SIGHUP: ${m.text}`);
        })
        .catch((e: Error) =>
          logger.error(`SIGHUP: config not reloaded (the running weights stay): ${e.message}`),
        );
    };
    process.on("SIGHUP", reload);

    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      const on = (s: NodeJS.Signals) => {
        process.off("SIGTERM", on);
        process.off("SIGINT", on);
        resolve(s);
      };
      process.on("SIGTERM", on);
      process.on("SIGINT", on);
    });
    process.off("SIGHUP", reload);
    logger.info(`${signal}: draining (no new connections; finishing accepted requests)`);
    const force = () => {
      logger.warn("second signal: closing every connection now");
      handle.http.server.closeAllConnections();
    };
    process.once("SIGTERM", force);
    process.once("SIGINT", force);
    const result = await handle.close();
    process.off("SIGTERM", force);
    process.off("SIGINT", force);
    stdout.flush();
    if (result.stuckWorkers > 0)
      logger.error(
        `${result.stuckWorkers} worker thread(s) are stuck in an onnxruntime run, which cannot be interrupted: ending the process with SIGKILL (exit status 137)`,
      );
    if (!result.clean)
      throw new UserError(`stopped with ${result.abandoned} request(s) unanswered`, {
        hint: "raise --shutdown-timeout-ms, or give the orchestrator a longer grace period",
      });
    logger.info("stopped");
    stdout.flush();
  });
}
