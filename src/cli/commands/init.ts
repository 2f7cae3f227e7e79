import type { Command } from "commander";
import type { CliIo } from "../io.js";

export function registerInit(program: Command, io: CliIo): void {
  program
    .command("init")
    .description("inspect a model and write a commented starter mlpack.yaml")
    .argument("<model>", "path to the .onnx model")
    .option("-o, --output <file>", "where to write the config", "mlpack.yaml")
    .option("--force", "overwrite an existing file")
    .action(async (model: string, o: { output: string; force?: boolean }) => {
      const { initConfig } = await import("../../config/init.js");
      const r = await initConfig(model, { output: o.output, force: o.force });
      io.out(
        `wrote ${r.file} (model "${r.name}", quantize mode ${r.quantizeMode}); edit it, then run \`mlpack build\``,
      );
    });
}
