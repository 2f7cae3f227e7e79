import type { Command } from "commander";
import type { CliIo } from "../io.js";

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerCompose(program: Command, io: CliIo): void {
  program
    .command("compose")
    .description("merge models and pre/post-processing stages into one ONNX pipeline model")
    .argument("<models...>", ".onnx files, in pipeline order")
    .requiredOption("-o, --output <file>", "where to write the pipeline model")
    .option("--connect <from=to>", "feed an output into an input: A.out=B.in (repeatable)", collect)
    .option(
      "--pre <stage>",
      "pre-processing before the first model: image:HxW[:resize=HxW][:input=HxW][:mean=r,g,b][:std=r,g,b][:scale=S][:bgr] (repeatable; @INPUT picks the input)",
      collect,
    )
    .option(
      "--post <stage>",
      "post-processing after the last model, chained in order: softmax | argmax[:labels.txt] | topk:K[:labels.txt] | threshold:T (@OUTPUT picks the output)",
      collect,
    )
    .option(
      "--keep-outputs [outputs...]",
      "keep unconnected outputs of every model (default: only the last pieces' outputs); with names (A.out), keep just those as well",
    )
    .option("--drop-outputs <outputs...>", "remove these outputs (A.out) from the pipeline's outputs")
    .option("--json", "print the report as JSON")
    .action(async (models: string[], o: Record<string, unknown>) => {
      const [{ composeToFile }, { renderComposeReport }] = await Promise.all([
        import("../../compose/compose.js"),
        import("../../compose/render.js"),
      ]);
      const keep = o.keepOutputs as true | string[] | undefined;
      const report = await composeToFile(
        {
          models,
          connect: o.connect as string[] | undefined,
          pre: o.pre as string[] | undefined,
          post: o.post as string[] | undefined,
          keepOutputs: keep,
          dropOutputs: o.dropOutputs as string[] | undefined,
        },
        o.output as string,
      );
      io.out(o.json ? JSON.stringify(report, null, 2) : renderComposeReport(report));
    });
}
