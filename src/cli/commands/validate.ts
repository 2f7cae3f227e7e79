import { Option, type Command } from "commander";
import type { CliIo } from "../io.js";
import { TARGET_IDS } from "../../ops/support/targets.js";
import { formatDiagnostic } from "../../diagnostics.js";

export function registerValidate(program: Command, io: CliIo): void {
  program
    .command("validate")
    .description("check a model against the ONNX spec and, with --target, against a runtime")
    .argument("<model>", "path to an .onnx file")
    .addOption(new Option("--target <target>", "runtime to check against").choices([...TARGET_IDS]))
    .option("--json", "print machine-readable JSON (schemaVersion 1)")
    .option("--quiet", "print errors only")
    .action(async (model: string, opts: { target?: string; json?: boolean; quiet?: boolean }) => {
      const { validate } = await import("../../api.js");
      const report = await validate(model, { target: opts.target });
      if (opts.json) {
        io.out(JSON.stringify(report, null, 2));
      } else {
        const shown = report.diagnostics.filter((d) => !opts.quiet || d.severity === "error");
        for (const d of shown) io.out(formatDiagnostic(d));
        const against = report.target ? ` against ${report.target.description}` : " against the ONNX spec";
        const verdict = report.valid ? "valid" : "INVALID";
        io.out(
          `${report.model}: ${verdict}${against} (${report.errors} errors, ${report.warnings} warnings)`,
        );
      }
      io.setExitCode(report.valid ? 0 : 1);
    });
}
