import { Option, type Command } from "commander";
import type { CliIo } from "../io.js";
import { UsageError } from "../../errors.js";
import type { SampleOptions } from "../../data/sample-options.js";

const list = (v: string, prev: string[] = []) => [...prev, ...v.split(",").filter(Boolean)];
const collect = (v: string, prev: string[] = []) => [...prev, v];

const GATE_HINT =
  "  hint: raise --max-accuracy-drop, use --auto-exclude, or --exclude the most sensitive layers (see --per-layer)";

export function registerQuantize(program: Command, io: CliIo): void {
  program
    .command("quantize")
    .description(
      "quantize weights (and activations) to int8, with an accuracy report against the float model",
    )
    .argument("<model>", "float .onnx model")
    .requiredOption("-o, --output <file>", "where to write the quantized model")
    .addOption(
      new Option(
        "--mode <mode>",
        "dynamic: int8 weights, activations quantized at run time; static: QDQ with calibration; weights-only: int8 storage, float compute",
      )
        .choices(["dynamic", "static", "weights-only"])
        .default("dynamic"),
    )
    .option(
      "--calibration <dir|file|random:N>",
      "calibration samples for --mode static (.png/.jpg, .wav, .pb, .npy, .npz, .json, or random:N)",
    )
    .addOption(
      new Option("--method <method>", "calibration range method")
        .choices(["minmax", "percentile", "entropy"])
        .default("minmax"),
    )
    .option(
      "--eval <dir|file|random:N>",
      "samples for the accuracy report (default: the calibration set, else random:8)",
    )
    .option("--per-channel", "one scale per output channel/column instead of per tensor")
    .option(
      "--no-reduce-range",
      "full 8-bit weights instead of 7-bit ([-64, 64]); only for CPUs with VNNI (AVX512-VNNI, AVX-VNNI) or ARM: elsewhere onnxruntime's int8 kernels saturate and wreck accuracy",
    )
    .option("--symmetric-activations", "static mode: int8 symmetric activations instead of uint8 asymmetric")
    .option(
      "--exclude <names>",
      "node names or op types to keep in float (comma-separated, repeatable)",
      list,
    )
    .option("--include <names>", "only quantize these node names or op types", list)
    .option(
      "--sample-options <json>",
      'how image/WAV samples become tensors (the quantize.samples config block), e.g. \'{"image":{"layout":"NCHW","colorOrder":"BGR","mean":[0.485,0.456,0.406],"std":[0.229,0.224,0.225]}}\'',
    )
    .option("--shape <name=dims>", "concrete shape for an input with symbolic dims (repeatable)", collect)
    .option("--per-layer", "also measure each layer's effect on the outputs when quantized alone")
    .option(
      "--max-accuracy-drop <x>",
      "fail with exit 3 (and write nothing) when the accuracy drop exceeds x (max of 1-cosine and 1-top1 agreement)",
      parseFloat,
    )
    .option(
      "--auto-exclude",
      "with --max-accuracy-drop: keep the most sensitive layers in float until the drop fits",
    )
    .option(
      "--allow-random-gate",
      "let --max-accuracy-drop gate on inputs that are not evidence (random, or float outputs degenerate on them)",
    )
    .option("--json", "print the report as JSON")
    .action(async (model: string, o: Record<string, unknown>) => {
      if (o.maxAccuracyDrop !== undefined && !(Number(o.maxAccuracyDrop) >= 0))
        throw new UsageError("--max-accuracy-drop must be a number >= 0", {
          hint: "a fraction, the largest allowed max(1 - cosine, 1 - top-1 agreement), e.g. --max-accuracy-drop 0.01",
        });
      let samples: SampleOptions | undefined;
      if (o.sampleOptions !== undefined) {
        try {
          samples = JSON.parse(o.sampleOptions as string) as SampleOptions;
        } catch (e) {
          throw new UsageError(`--sample-options is not valid JSON (${(e as Error).message})`, {
            hint: 'e.g. --sample-options \'{"image":{"layout":"NHWC"},"audio":{"sampleRate":16000}}\'',
          });
        }
      }
      const { quantize } = await import("../../passes/quantize/quantize.js");
      const report = await quantize(model, o.output as string, {
        mode: o.mode as "dynamic",
        calibration: o.calibration as string | undefined,
        method: o.method as "minmax",
        eval: o.eval as string | undefined,
        perChannel: Boolean(o.perChannel),
        // commander sets it true unless --no-reduce-range; unset, quantize picks (7-bit unless weights-only)
        reduceRange: o.reduceRange === false ? false : undefined,
        symmetricActivations: Boolean(o.symmetricActivations),
        exclude: (o.exclude as string[]) ?? [],
        include: (o.include as string[]) ?? [],
        shapes: (o.shape as string[]) ?? [],
        perLayer: Boolean(o.perLayer),
        maxAccuracyDrop: o.maxAccuracyDrop as number | undefined,
        autoExclude: Boolean(o.autoExclude),
        allowRandomGate: Boolean(o.allowRandomGate),
        samples,
      });
      if (o.json)
        io.out(
          JSON.stringify(
            report,
            (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v),
            2,
          ),
        );
      else io.out((await import("../../passes/quantize/render.js")).renderQuantizeReport(report));
      if (report.gate && !report.gate.passed) {
        io.err(
          `error: accuracy drop ${report.accuracy.drop.toFixed(5)} exceeds --max-accuracy-drop ${report.gate.maxAccuracyDrop}; ${report.output} was not written`,
        );
        io.err(GATE_HINT);
        io.setExitCode(3);
      }
    });
}
