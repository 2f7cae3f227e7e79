import type { Command } from "commander";
import type { CliIo } from "../io.js";

export function registerInspect(program: Command, io: CliIo): void {
  program
    .command("inspect")
    .description(
      "describe a model: producer, opsets, inputs/outputs, op histogram, parameters, external data",
    )
    .argument("<model>", "path to an .onnx file")
    .option("--json", "print machine-readable JSON")
    .action(async (model: string, opts: { json?: boolean }) => {
      const { inspect } = await import("../../api.js");
      const summary = await inspect(model);
      if (opts.json) io.out(JSON.stringify(summary, null, 2));
      else io.out((await import("../../inspect/render.js")).renderSummary(summary));
    });
}
