import type { Command } from "commander";
import type { CliIo } from "../io.js";
import type { Logger } from "../../log.js";
import { formatBytes } from "../../format-bytes.js";

export function registerPush(program: Command, io: CliIo): void {
  program
    .command("push")
    .description("push an image `mlpack build` wrote (OCI layout or image tarball) to a registry")
    .argument(
      "<image>",
      "the OCI layout directory, the build output directory, or an oci-/docker-archive tarball",
    )
    .argument("<ref>", "where to push: registry.example.com/team/model:tag")
    .option(
      "--insecure",
      "talk plain http to this registry (only for registries you trust, e.g. on 127.0.0.1)",
    )
    .option(
      "--name <ref-name>",
      "which image of a layout holding several (its org.opencontainers.image.ref.name)",
    )
    .option("--json", "print the push report as JSON")
    .action(
      async (image: string, ref: string, opts: { insecure?: boolean; name?: string; json?: boolean }) => {
        const { pushImage } = await import("../../artifacts/oci/push.js");
        const verbose = Boolean(program.opts().verbose);
        const logger: Logger = {
          info: (m) => io.err(m),
          warn: (m) => io.err(`warning: ${m}`),
          error: (m) => io.err(`error: ${m}`),
          debug: (m) => verbose && io.err(m),
        };
        const report = await pushImage(image, ref, { insecure: opts.insecure, refName: opts.name, logger });
        if (opts.json) {
          io.out(JSON.stringify(report, null, 2));
          return;
        }
        io.out(
          `pushed ${report.reference}@${report.digest}: ${report.uploaded} blob(s) uploaded (${formatBytes(report.uploadedBytes)}), ${report.skipped} already there, ${report.mounted} mounted, ${report.manifests} manifest(s)`,
        );
      },
    );
}
