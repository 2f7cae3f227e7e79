import { Option, type Command } from "commander";
import type { CliIo } from "../io.js";
import { UsageError } from "../../errors.js";

interface BenchFlags {
  baseline?: string;
  device: "cpu" | "cuda";
  batch?: string;
  concurrency?: string;
  threads?: string;
  warmup: string;
  iterations?: string;
  duration?: string;
  rounds?: string;
  inputs: string;
  shape: string[];
  threshold: string;
  gate: string;
  strict?: boolean;
  failOnInconclusive?: boolean;
  saveBaseline?: string;
  json?: boolean | string;
  markdown?: boolean | string;
  junit?: string;
  html?: string;
  github?: boolean;
  quiet?: boolean;
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function registerBench(program: Command, io: CliIo): void {
  program
    .command("bench")
    .description(
      "measure latency and throughput; compare with a baseline model or JSON and fail (exit 3) on a regression",
    )
    .argument("<model>", "path to an .onnx file (the candidate)")
    .option(
      "--baseline <model|json>",
      "a second model, measured interleaved A/B, or a baseline .json to compare with",
    )
    .addOption(new Option("--device <device>", "execution provider").choices(["cpu", "cuda"]).default("cpu"))
    .option("--batch <sizes>", "batch sizes for a symbolic first dimension, e.g. 1,8,32 (default 1)")
    .option(
      "--concurrency <workers>",
      "concurrent workers, each with its own session, e.g. 1,2,4 (default 1)",
    )
    .option("--threads <intra,inter>", "onnxruntime intra-op and inter-op threads per session, e.g. 1,1")
    .option(
      "--warmup <N|Ns|auto>",
      "warm-up: auto (until 3 windows agree within 10%), N calls, or a time",
      "auto",
    )
    .option("--iterations <N>", "inferences per model and configuration")
    .option("--duration <S>", "sampling time per model and configuration, e.g. 2 or 500ms (default 2s)")
    .option("--rounds <N>", "interleaved rounds (default: one per ~10 ms of sampling, 20-200)")
    .option(
      "--inputs <DIR|random>",
      "random inputs, or a directory of .pb (TensorProto) / .npy files",
      "random",
    )
    .option(
      "--shape <name=dims>",
      "an input's shape (x=1,3,224,224) or a symbolic dim (seq=128); repeatable",
      collect,
      [],
    )
    .option("--threshold <percent>", "relative change that counts as a regression", "10")
    .option("--gate <metrics>", "metrics that decide the exit code: median, p95, throughput", "median")
    .option("--strict", "fail the gate even when the baseline was measured on different hardware")
    .option("--fail-on-inconclusive", "exit 3 when a gated verdict is inconclusive, too")
    .option("--save-baseline <file>", "write this run's measurements as a baseline JSON")
    .option("--json [file]", "print the JSON report (schema mlpack-bench v1), or write it to a file")
    .option(
      "--markdown [file]",
      "print a Markdown report (for a PR comment or job summary), or write it to a file",
    )
    .option("--junit <file>", "write JUnit XML (a regression is a failed test case)")
    .option("--html <file>", "write a self-contained HTML report with latency charts")
    .option("--github", "print GitHub Actions annotations for regressions and warnings")
    .option("--quiet", "no progress lines on stderr")
    .action(async (model: string, flags: BenchFlags) => {
      const o = await import("../../bench/options.js");
      if (flags.json === true && flags.markdown === true)
        throw new UsageError("--json and --markdown both want stdout", {
          hint: "give one of them a file: --markdown summary.md",
        });
      const thresholdWarning = o.thresholdWarning(flags.threshold);
      if (thresholdWarning) io.err(`warning: ${thresholdWarning}`);
      const threads = flags.threads !== undefined ? o.parseThreads(flags.threads) : undefined;
      const rounds = flags.rounds !== undefined ? o.parseIntList("--rounds", flags.rounds)[0] : undefined;
      const { bench } = await import("../../bench/bench.js");
      const outcome = await bench(
        {
          model,
          baseline: flags.baseline,
          device: flags.device,
          batches: flags.batch !== undefined ? o.parseIntList("--batch", flags.batch) : undefined,
          concurrency:
            flags.concurrency !== undefined ? o.parseIntList("--concurrency", flags.concurrency) : undefined,
          intraOpThreads: threads?.intra,
          interOpThreads: threads?.inter,
          warmup: o.parseWarmup(flags.warmup),
          sample: o.parseSample(flags.iterations, flags.duration),
          rounds,
          inputs: flags.inputs,
          shapes: o.parseShapes(flags.shape),
          threshold: o.parseThreshold(flags.threshold),
          gate: o.parseGate(flags.gate),
          strict: flags.strict,
          failOnInconclusive: flags.failOnInconclusive,
        },
        { progress: flags.quiet ? undefined : (m) => io.err(`bench: ${m}`) },
      );
      const { emitReports } = await import("../../bench/report/index.js");
      for (const w of outcome.report.warnings) io.err(`warning: ${w}`);
      const { stdout, files } = emitReports(outcome, { ...flags });
      for (const s of stdout) io.out(s);
      if (!flags.quiet) for (const f of files) io.err(`bench: wrote ${f}`);
      const c = outcome.comparison;
      if (c?.advisory && c.counts.regressed > 0)
        io.err(
          "warning: regressions were found, but the gate is advisory: the baseline was measured on different hardware (--strict makes it fail)",
        );
      if (c?.failed) {
        const { GateFailedError } = await import("../../errors.js");
        const { describeFailures } = await import("../../bench/gate.js");
        const { fmtThreshold } = await import("../../bench/report/format.js");
        throw new GateFailedError(`performance gate failed: ${describeFailures(c).join("; ")}`, {
          hint: `the ${c.gate.join("/")} latency moved past ±${fmtThreshold(c.threshold)} with 95% confidence; if it is intended, save a new baseline with --save-baseline`,
        });
      }
    });
}
