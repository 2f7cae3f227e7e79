/**
 * The CLI entry: builds the commander program, runs it, and maps errors to exit codes.
 * This is the only module that calls process.exit.
 */
import { Command, CommanderError } from "commander";
import { createRequire } from "node:module";
import { EXIT, isMlpackError } from "../errors.js";
import { exitBlockers } from "../exit-blockers.js";
import { shouldUseColor } from "../log.js";
import type { CliIo } from "./io.js";
import { registerInspect } from "./commands/inspect.js";
import { registerValidate } from "./commands/validate.js";
import { registerServe } from "./commands/serve.js";
import { registerQuantize } from "./commands/quantize.js";
import { registerInit } from "./commands/init.js";
import { registerBench } from "./commands/bench.js";
import { registerBuild } from "./commands/build.js";
import { registerConvert } from "./commands/convert.js";
import { registerPush } from "./commands/push.js";
import { registerFingerprint } from "./commands/fingerprint.js";
import { printableLines } from "../printable.js";
import { registerCompose } from "./commands/compose.js";
import { registerPredict } from "./commands/predict.js";
import { registerRollout } from "./commands/rollout.js";

const pkg = createRequire(import.meta.url)("../../package.json") as { version: string };

export interface MainResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with argv (without "node mlpack"); returns the exit code. Callable from tests. */
export async function main(
  argv: string[],
  streams: { out: (s: string) => void; err: (s: string) => void } = defaultStreams(),
): Promise<number> {
  let exitCode: number = EXIT.ok;
  const io: CliIo = {
    // Every command's text passes here: control characters from model strings are escaped.
    out: (s) => streams.out(printableLines(s) + "\n"),
    err: (s) => streams.err(printableLines(s) + "\n"),
    setExitCode: (c) => {
      exitCode = c;
    },
  };
  const program = new Command("mlpack")
    .description("Take a trained ONNX model from a notebook to production.")
    .version(pkg.version, "-V, --version")
    .option("--verbose", "print debugging detail (stack traces for internal errors)")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({ writeOut: streams.out, writeErr: streams.err });
  registerInspect(program, io);
  registerValidate(program, io);
  registerServe(program, io);
  registerQuantize(program, io);
  registerInit(program, io);
  registerBench(program, io);
  registerBuild(program, io);
  registerConvert(program, io);
  registerPush(program, io);
  registerFingerprint(program, io);
  registerCompose(program, io);
  registerPredict(program, io);
  registerRollout(program, io);

  const color = shouldUseColor(process.stderr);
  const errRaw = (s: string) => streams.err(s + "\n");
  const red = (s: string) => (color ? `\u001b[31m${s}\u001b[0m` : s);
  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end with code 0; everything else commander rejects is a usage error.
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (isMlpackError(e)) {
      // Written past io (which would escape red()'s own colour codes); the texts are escaped here.
      errRaw(`${red("error:")} ${printableLines(e.message)}`);
      if (e.hint) errRaw(`  hint: ${printableLines(e.hint)}`);
      return e.exitCode;
    }
    const err = e as Error;
    errRaw(`${red("internal error:")} ${printableLines(err?.message ?? String(e))}`);
    io.err(
      "  this is probably a bug in mlpack; please report it with the command you ran and the model if you can share it",
    );
    if (program.opts().verbose && err?.stack) io.err(err.stack);
    return EXIT.internal;
  }
}

function defaultStreams() {
  return {
    out: (s: string) => void process.stdout.write(s),
    err: (s: string) => void process.stderr.write(s),
  };
}

export async function runCli(): Promise<void> {
  const code = await main(process.argv.slice(2));
  // A thread stuck in native code (exit-blockers.ts) would make process.exit wait for it forever.
  const end = () => (exitBlockers.count > 0 ? process.kill(process.pid, "SIGKILL") : process.exit(code));
  // Let stdout drain (large --json output through a pipe) before exiting.
  process.stdout.write("", end);
}
