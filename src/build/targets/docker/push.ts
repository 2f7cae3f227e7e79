/**
 * The docker target's push: after every gate and every artifact, so no failure can follow an image
 * reaching a registry. It is in the plan only when targets.docker.push is on or --push is given.
 */
import { fmtMiB as mb } from "../../events.js";
import type { BuildStep, StepContext } from "../../types.js";

/** --push / --no-push win over targets.docker.push. */
export function pushWanted(ctx: Pick<StepContext, "config" | "options" | "targets">): boolean {
  return ctx.targets.includes("docker") && (ctx.options.push ?? ctx.config.targets.docker?.push ?? false);
}

export const pushStep: BuildStep = {
  name: "push",
  applies: (ctx) => pushWanted(ctx),
  async run(ctx) {
    const d = ctx.config.targets.docker!;
    const image = ctx.manifest.artifacts.find((a) => a.target === "docker");
    if (!image) throw new Error("push: no docker artifact was built");
    if (!d.tag) throw new Error("push: targets.docker.tag is checked before the build starts");
    if (image.kind === "docker-image")
      return {
        status: "skipped",
        summary: `built by the Docker daemon: push it with \`docker push ${d.tag}\``,
      };
    const { pushImage } = await import("../../../artifacts/oci/push.js");
    const r = await pushImage(ctx.resolve(image.path), d.tag, {
      insecure: d.insecure,
      logger: ctx.log,
      onProgress: (done, total) => ctx.log.progress(total ? done / total : 1, `${mb(done)} of ${mb(total)}`),
    });
    image.ref = r.reference;
    image.details = {
      ...image.details,
      pushed: {
        digest: r.digest,
        uploaded: r.uploaded,
        skipped: r.skipped,
        mounted: r.mounted,
        uploadedBytes: r.uploadedBytes,
      },
    };
    return {
      status: "ok",
      summary: `${r.reference}@${r.digest.slice(0, 19)}: ${r.uploaded} blob(s) uploaded (${mb(r.uploadedBytes)}), ${r.skipped} already there, ${r.mounted} mounted`,
    };
  },
};
