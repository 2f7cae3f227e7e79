import type { Command } from "commander";
import type { CliIo } from "../io.js";

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerInit(program: Command, io: CliIo): void {
  program
    .command("init")
    .description("inspect a model and write a commented starter mlpack.yaml that builds as written")
    .argument("<model>", "path to the .onnx model")
    .option("-o, --output <file>", "where to write the config", "mlpack.yaml")
    .option("--force", "overwrite an existing file")
    .option(
      "--shape <name=dims>",
      "concrete shape for an input with symbolic dims, e.g. x=1,3,640,640 (repeatable; default: batch 1, image sides 224, sequences 512)",
      collect,
    )
    .option(
      "--from-scratch",
      "docker target without a base image (targets.docker.fromScratch: true): builds offline",
    )
    .action(
      async (
        model: string,
        o: { output: string; force?: boolean; shape?: string[]; fromScratch?: boolean },
      ) => {
        const { initConfig } = await import("../../config/init.js");
        const r = await initConfig(model, {
          output: o.output,
          force: o.force,
          shapes: o.shape,
          fromScratch: o.fromScratch,
        });
        io.out(`wrote ${r.file} (model "${r.name}", quantize mode ${r.quantizeMode})`);
        if (r.shapes.length)
          io.out(`  input shapes: ${r.shapes.join(" ")} (checked: the model runs on them)`);
        io.out(
          r.samples
            ? `  calibration/eval samples: ${r.samples}`
            : "  no samples/ folder next to the model: the accuracy gate is off until you add real inputs (see quantize.eval)",
        );
        io.out("next: `mlpack build` (or `mlpack build --target tfjs` for a quick first run)");
      },
    );
}
