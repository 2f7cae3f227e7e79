import { Option, type Command } from "commander";
import type { CliIo } from "../io.js";

export function registerConvert(program: Command, io: CliIo): void {
  program
    .command("convert")
    .description("convert an ONNX model to another runtime's format (TF.js graph model)")
    .argument("<model>", "path to an .onnx file")
    .argument("<out>", "output directory (created; an earlier TF.js model there is replaced)")
    .addOption(new Option("--to <format>", "target format").choices(["tfjs"]).makeOptionMandatory())
    .option("--keep-layout", "keep the ONNX (NCHW) layout everywhere, for models whose inputs are not images")
    .addOption(
      new Option("--quantize <dtype>", "compress float32 weights in the manifest").choices([
        "uint8",
        "uint16",
        "float16",
      ]),
    )
    .option(
      "--strict",
      "with --quantize: refuse weights the format cannot hold (Infinity/NaN, float16 overflow or flush to zero) instead of keeping them float32",
    )
    .option(
      "--shape <name=dims>",
      "concrete sizes for an input with symbolic dims, e.g. x=1,3,224,224 (repeatable)",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option("--json", "print the conversion report as JSON")
    .action(async (model: string, out: string, o: Record<string, unknown>) => {
      const { convertToTfjs, parseShapeArgs } = await import("../../convert/tfjs/convert.js");
      const report = await convertToTfjs(model, out, {
        keepLayout: Boolean(o.keepLayout),
        quantize: o.quantize as "uint8" | undefined,
        strict: Boolean(o.strict),
        inputShapes: parseShapeArgs((o.shape as string[] | undefined) ?? []),
      });
      if (o.json) io.out(JSON.stringify(report, null, 2));
      else io.out((await import("../../convert/tfjs/render.js")).renderConvertReport(report));
    });
}
