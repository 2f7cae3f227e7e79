/**
 * `--apply`: `kubectl apply -k DIR`, only when kubectl is on PATH and has a current context; otherwise
 * a clear error saying which is missing (the manifests are edited either way).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { UserError } from "../../errors.js";

function onPath(cmd: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const d of (env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
    const f = path.join(d, cmd);
    try {
      fs.accessSync(f, fs.constants.X_OK);
      if (fs.statSync(f).isFile()) return f;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Runs `kubectl apply -k dir`; returns kubectl's output. */
export function kubectlApply(dir: string, env: NodeJS.ProcessEnv = process.env): string {
  const manual = `apply the folder yourself with \`kubectl apply -k ${dir}\``;
  const kubectl = onPath("kubectl", env);
  if (!kubectl)
    throw new UserError("--apply: kubectl is not on PATH; the manifests were edited but not applied", {
      hint: `install kubectl and configure a cluster, or ${manual}`,
    });
  const ctx = spawnSync(kubectl, ["config", "current-context"], { env, encoding: "utf8", timeout: 30_000 });
  if (ctx.status !== 0 || !ctx.stdout.trim())
    throw new UserError(
      `--apply: kubectl has no current context${ctx.stderr?.trim() ? ` (${ctx.stderr.trim().split("\n")[0]})` : ""}; the manifests were edited but not applied`,
      { hint: `pick a cluster with \`kubectl config use-context NAME\`, or ${manual}` },
    );
  const r = spawnSync(kubectl, ["apply", "-k", dir], { env, encoding: "utf8", timeout: 300_000 });
  if (r.status !== 0)
    throw new UserError(
      `kubectl apply -k ${dir} failed (context ${ctx.stdout.trim()}): ${(r.stderr || r.stdout || "").trim().split("\n")[0]}`,
      {
        hint: "the manifests were edited; fix the cluster side (Argo Rollouts / KServe CRDs installed? permissions?) and apply again",
      },
    );
  return `${r.stdout}`.trim();
}
