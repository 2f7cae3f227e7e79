import { Option, type Command } from "commander";
import type { CliIo } from "../io.js";
import { shouldUseColor } from "../../log.js";
import { lineWriter } from "../line-writer.js";

const list = (v: string, prev: string[] = []) => [...prev, ...v.split(",").filter(Boolean)];

export function registerBuild(program: Command, io: CliIo): void {
  program
    .command("build")
    .description(
      "validate → quantize → benchmark gate → the configured targets' artifacts → push, from mlpack.yaml; writes OUTPUT/mlpack-manifest.json and OUTPUT/mlpack-summary.md",
    )
    .option("-c, --config <file>", "config file (default: mlpack.yaml, mlpack.yml or mlpack.json here)")
    .addOption(
      new Option("--target <names>", "build only these targets (comma-separated, repeatable)").argParser(
        list,
      ),
    )
    .option(
      "--shape <name=dims>",
      "an input's shape (x=1,3,224,224) or a symbolic dim (seq=128), over quantize.shapes and bench.shapes; repeatable",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option("--push", "push the image even when targets.docker.push is off")
    .option("--no-push", "do not push, even when targets.docker.push is on")
    .option("--no-cache", "ignore cached step results and rebuild everything")
    .option("--save-baseline <file>", "write this build's benchmark as a baseline JSON for later gates")
    .option("--json", "print machine-readable events, one JSON object per line")
    .action(
      async (o: {
        config?: string;
        target?: string[];
        shape?: string[];
        push?: boolean;
        cache: boolean;
        saveBaseline?: string;
        json?: boolean;
      }) => {
        const [{ build }, events, { UsageError }, { TARGET_NAMES, isTargetName }, { parseShapes }] =
          await Promise.all([
            import("../../build/build.js"),
            import("../../build/events.js"),
            import("../../errors.js"),
            import("../../build/targets/registry.js"),
            import("../../bench/options.js"),
          ]);
        // The same syntax (and usage errors, exit 2) as bench and quantize --shape.
        parseShapes(o.shape ?? []);
        for (const t of o.target ?? [])
          if (!isTargetName(t))
            throw new UsageError(`--target ${t}: unknown target`, {
              hint: `choose from ${TARGET_NAMES.join(", ")}`,
            });
        const tty = !o.json && process.stdout.isTTY === true;
        const emit = o.json
          ? events.jsonRenderer(lineWriter(io.out))
          : events.textRenderer({
              write: tty ? (s) => void process.stdout.write(s) : lineWriter(io.out),
              tty,
              color: shouldUseColor(process.stdout),
              columns: () => process.stdout.columns ?? 80,
            });
        await build({
          config: o.config,
          targets: o.target?.filter(isTargetName),
          shapes: o.shape,
          // --push and --no-push both defined: commander leaves push undefined when neither is given.
          push: o.push,
          noCache: o.cache === false,
          saveBaseline: o.saveBaseline,
          emit,
        });
      },
    );
}
