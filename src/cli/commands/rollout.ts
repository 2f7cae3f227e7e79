import path from "node:path";
import type { Command } from "commander";
import type { CliIo } from "../io.js";
import type { RolloutAction, RolloutStatus } from "../../artifacts/kubernetes/rollout.js";

interface RolloutOpts {
  dir?: string;
  config?: string;
  apply?: boolean;
  json?: boolean;
}

/** --dir, else OUTPUT/kubernetes of the project's mlpack.yaml. */
async function manifestDir(opts: RolloutOpts): Promise<string> {
  if (opts.dir) return path.resolve(opts.dir);
  const { loadConfig } = await import("../../config/load.js");
  const { config, dir } = loadConfig(opts.config);
  return path.resolve(dir, config.output ?? "dist", "kubernetes");
}

function show(io: CliIo, s: RolloutStatus, opts: RolloutOpts): void {
  if (opts.json) return io.out(JSON.stringify(s, null, 2));
  io.out(`${s.engine} ${s.name} (${s.file}): ${s.message}`);
  if (s.stableImage && s.stableImage !== s.image) io.out(`  stable: ${s.stableImage}\n  new:    ${s.image}`);
  io.out(`  steps:  ${s.steps.join(", ")} %`);
}

export function registerRollout(program: Command, io: CliIo): void {
  const cmd = program
    .command("rollout")
    .description(
      "canary rollout by editing the manifests `mlpack build` wrote (OUTPUT/kubernetes): KServe or Argo Rollouts does the traffic split",
    );
  const common = (c: Command) =>
    c
      .option("--dir <dir>", "the manifests folder (default: OUTPUT/kubernetes of mlpack.yaml)")
      .option("-c, --config <file>", "mlpack.yaml whose output folder holds the manifests")
      .option("--apply", "then run `kubectl apply -k DIR` (needs kubectl and a current context)")
      .option("--json", "print the rollout state as JSON");
  const run = async (action: RolloutAction, opts: RolloutOpts) => {
    const { rollout } = await import("../../artifacts/kubernetes/rollout.js");
    const dir = await manifestDir(opts);
    const s = rollout(dir, action);
    show(io, s, opts);
    if (opts.apply) {
      const { kubectlApply } = await import("../../artifacts/kubernetes/apply.js");
      io.err(kubectlApply(dir));
    } else if (action.kind !== "status")
      io.err(`edited ${path.join(dir, s.file)}; apply with \`kubectl apply -k ${dir}\``);
  };
  common(
    cmd
      .command("start")
      .description("send a share of traffic to a new image (pinned by digest) or the image of a build")
      .argument("<image-or-build>", "REPO@sha256:…, or a build output folder / its mlpack-manifest.json")
      .option(
        "--steps <list>",
        "traffic percentages, ending at 100 (default: the build's, else 1,10,50,100)",
      ),
  ).action(async (target: string, opts: RolloutOpts & { steps?: string }) => {
    const { imageOf } = await import("../../artifacts/kubernetes/rollout.js");
    const steps = opts.steps?.split(",").map((x) => (x.trim() === "" ? NaN : Number(x)));
    await run({ kind: "start", image: imageOf(target), steps }, opts);
  });
  common(
    cmd
      .command("set-weight")
      .description("set the new version's share of traffic")
      .argument("<percent>", "0 to 100"),
  ).action((w: string, opts: RolloutOpts) =>
    run({ kind: "set-weight", weight: w.trim() === "" ? NaN : Number(w) }, opts),
  );
  common(
    cmd
      .command("promote")
      .description("KServe: the next step (--full: all traffic); Argo: all the way")
      .option("--full", "send all traffic to the new version now"),
  ).action((opts: RolloutOpts & { full?: boolean }) => run({ kind: "promote", full: opts.full }, opts));
  common(cmd.command("rollback").description("send all traffic back to the stable version at once")).action(
    (opts: RolloutOpts) => run({ kind: "rollback" }, opts),
  );
  common(cmd.command("status").description("the rollout state written in the manifests")).action(
    (opts: RolloutOpts) => run({ kind: "status" }, opts),
  );
}
