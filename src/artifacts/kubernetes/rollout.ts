/**
 * `mlpack rollout`, GitOps style: it edits the manifests `mlpack build` wrote (OUTPUT/kubernetes) and
 * leaves the stepping to the engine. KServe: the InferenceService's predictor image and
 * canaryTrafficPercent (KServe splits traffic between the new revision and the last one rolled out
 * at 100 %). Argo Rollouts: the Rollout's image and canary steps (Argo steps, pauses and runs the
 * AnalysisTemplate, and rolls back by itself when the analysis fails). The state mlpack needs to
 * promote and roll back (the stable image, the steps) is kept in annotations on the object. Every
 * object is validated again before the edited file replaces the old one. (It lives with the
 * manifests rather than in src/rollout/: rollout/rule.ts is imported by these manifests, and the
 * layers must not import each other both ways.)
 */
import fs from "node:fs";
import path from "node:path";
import type { Document } from "yaml";
import { UserError } from "../../errors.js";
import { writeFileAtomic } from "../../write-atomic.js";
import { DEFAULT_PAUSE, DEFAULT_STEPS } from "../../rollout/rule.js";
import { stepsProblem } from "./steps.js";
import { validateObjects } from "./validate.js";
import { readManifestDir } from "./write.js";

export const STABLE_IMAGE = "mlpack.dev/stable-image";
export const STEPS = "mlpack.dev/rollout-steps";
export const PHASE = "mlpack.dev/rollout-phase";

export type RolloutAction =
  | { kind: "start"; image: string; steps?: number[] }
  | { kind: "set-weight"; weight: number }
  | { kind: "promote"; full?: boolean }
  | { kind: "rollback" }
  | { kind: "status" };

export type Phase = "stable" | "canary" | "rolled-back";

export interface RolloutStatus {
  engine: "kserve" | "argo";
  name: string;
  file: string;
  image: string;
  stableImage?: string;
  phase: Phase;
  steps: number[];
  /** KServe: canaryTrafficPercent; Argo: the weight mlpack asked it to hold at (set-weight). */
  weight?: number;
  /** What the engine does next, in a sentence. */
  message: string;
}

const IMAGE_PATH = {
  kserve: ["spec", "predictor", "model", "image"],
  argo: ["spec", "template", "spec", "containers", 0, "image"],
};
const WEIGHT_PATH = ["spec", "predictor", "canaryTrafficPercent"];
const STEPS_PATH = ["spec", "strategy", "canary", "steps"];
const ann = (k: string) => ["metadata", "annotations", k];

interface Target {
  engine: "kserve" | "argo";
  file: string;
  doc: Document;
}

function findTarget(dir: string): { target: Target; files: ReturnType<typeof readManifestDir> } {
  const files = readManifestDir(dir);
  for (const f of files)
    for (const doc of f.docs) {
      const kind = doc.get("kind");
      if (kind === "InferenceService") return { target: { engine: "kserve", file: f.file, doc }, files };
      if (kind === "Rollout") return { target: { engine: "argo", file: f.file, doc }, files };
      if (kind === "Deployment")
        throw new UserError(
          `${dir} holds a plain Deployment: a canary rollout needs Argo Rollouts or KServe`,
          {
            hint: "set targets.kubernetes.rollout: argo (Argo Rollouts) or targets.kubernetes.flavor: kserve in mlpack.yaml and build again; a Deployment only does rolling updates (change its image and `kubectl apply -k`)",
          },
        );
    }
  throw new UserError(`${dir}: no InferenceService or Rollout to roll out`, {
    hint: "point --dir at the kubernetes folder `mlpack build` wrote with targets.kubernetes",
  });
}

function statusOf(t: Target): RolloutStatus {
  const d = t.doc;
  const str = (p: (string | number)[]) => {
    const v = d.getIn(p);
    return typeof v === "string" ? v : undefined;
  };
  const phase = (str(ann(PHASE)) as Phase | undefined) ?? "stable";
  const recorded = str(ann(STEPS))?.split(",").map(Number);
  const fileSteps = (d.getIn(STEPS_PATH, false) as { toJSON(): unknown } | undefined)?.toJSON() as
    { setWeight?: number }[] | undefined;
  const steps =
    recorded ?? fileSteps?.flatMap((s) => (s.setWeight !== undefined ? [s.setWeight] : [])) ?? DEFAULT_STEPS;
  const w =
    t.engine === "kserve"
      ? d.getIn(WEIGHT_PATH)
      : fileSteps?.length === 2
        ? fileSteps[0].setWeight
        : undefined;
  const weight = typeof w === "number" ? w : undefined;
  const name = String(d.getIn(["metadata", "name"]));
  const base = {
    engine: t.engine,
    name,
    file: t.file,
    image: str(IMAGE_PATH[t.engine]) ?? "",
    stableImage: str(ann(STABLE_IMAGE)),
    phase,
    steps,
    weight,
  };
  return { ...base, message: describe(base) };
}

function describe(s: Omit<RolloutStatus, "message">): string {
  if (s.phase === "stable") return `stable: ${s.image} serves all traffic`;
  if (s.phase === "rolled-back")
    return s.engine === "kserve"
      ? `rolled back: KServe sends all traffic to the last revision rolled out (${s.stableImage ?? "the stable image"})`
      : `rolled back to ${s.stableImage}`;
  if (s.engine === "kserve")
    return `canary: ${s.weight ?? 0}% of traffic to ${s.image}, the rest to ${s.stableImage ?? "the previous revision"}; next step: \`mlpack rollout promote\``;
  return s.weight !== undefined
    ? `canary: Argo holds ${s.weight}% of traffic on ${s.image} until \`mlpack rollout promote\``
    : `canary: Argo steps ${s.steps.join(" → ")} % with pauses, the AnalysisTemplate rolls back on failure`;
}

function argoSteps(weights: number[], pause: string): unknown[] {
  return weights.flatMap((w, i) =>
    i === weights.length - 1 && w === 100
      ? [{ setWeight: w }]
      : [{ setWeight: w }, { pause: { duration: pause } }],
  );
}

function currentPause(d: Document): string {
  const steps = (d.getIn(STEPS_PATH, false) as { toJSON(): unknown } | undefined)?.toJSON() as
    { pause?: { duration?: string } }[] | undefined;
  return steps?.find((s) => s.pause?.duration)?.pause?.duration ?? DEFAULT_PAUSE;
}

function needPhase(s: RolloutStatus, action: string, ok: Phase[]): void {
  if (!ok.includes(s.phase))
    throw new UserError(`rollout ${action}: no rollout in progress (${s.message})`, {
      hint: "start one with `mlpack rollout start IMAGE@sha256:… ` (or a build folder)",
    });
}

/** Applies `action` to the manifests in `dir` (status only reads them). */
export function rollout(dir: string, action: RolloutAction): RolloutStatus {
  const { target: t, files } = findTarget(dir);
  const d = t.doc;
  const s = statusOf(t);
  if (action.kind === "status") return s;
  const setStable = (img: string) => d.setIn(ann(STABLE_IMAGE), img);
  const finish = () => {
    setStable(s.image);
    d.setIn(ann(PHASE), "stable");
    if (t.engine === "kserve") d.deleteIn(WEIGHT_PATH);
    else d.setIn(STEPS_PATH, d.createNode(argoSteps([100], DEFAULT_PAUSE)));
  };
  switch (action.kind) {
    case "start": {
      const steps = action.steps ?? s.steps;
      const problem = stepsProblem(steps);
      if (problem) throw new UserError(`--steps: ${problem}`, { hint: "e.g. --steps 1,10,50,100" });
      const stable = s.phase === "stable" ? s.image : (s.stableImage ?? s.image);
      if (action.image === stable)
        throw new UserError(`rollout start: ${action.image} is already the stable image`, {
          hint: "give the new image (REPO@sha256:…) or the folder of the build that made it",
        });
      setStable(stable);
      d.setIn(ann(STEPS), steps.join(","));
      d.setIn(ann(PHASE), "canary");
      d.setIn(IMAGE_PATH[t.engine], action.image);
      if (t.engine === "kserve") d.setIn(WEIGHT_PATH, steps[0]);
      else d.setIn(STEPS_PATH, d.createNode(argoSteps(steps, currentPause(d))));
      break;
    }
    case "set-weight": {
      needPhase(s, "set-weight", ["canary", "rolled-back"]);
      const w = action.weight;
      if (!Number.isInteger(w) || w < 0 || w > 100)
        throw new UserError(`set-weight: ${w} is not a percentage`, {
          hint: "give an integer from 0 to 100",
        });
      if (w === 100) {
        finish();
        break;
      }
      d.setIn(ann(PHASE), "canary");
      // Argo: one step at that weight and an indefinite pause: it holds there until promoted.
      if (t.engine === "kserve") d.setIn(WEIGHT_PATH, w);
      else d.setIn(STEPS_PATH, d.createNode([{ setWeight: w }, { pause: {} }]));
      break;
    }
    case "promote": {
      needPhase(s, "promote", ["canary"]);
      const next = s.steps.find((x) => x > (s.weight ?? 0));
      // Argo steps by itself: promote means "all the way" (its own promote is per step).
      if (action.full || t.engine === "argo" || next === undefined || next === 100) finish();
      else d.setIn(WEIGHT_PATH, next);
      break;
    }
    case "rollback": {
      needPhase(s, "rollback", ["canary"]);
      d.setIn(ann(PHASE), t.engine === "kserve" ? "rolled-back" : "stable");
      // KServe: 0 % sends every request to the last revision rolled out, at once.
      if (t.engine === "kserve") d.setIn(WEIGHT_PATH, 0);
      else {
        // Argo: the stable pod template again: Argo goes straight back to the stable ReplicaSet.
        if (!s.stableImage)
          throw new UserError("rollout rollback: the stable image is not recorded", {
            hint: `set the Rollout's image in ${t.file} back by hand`,
          });
        d.setIn(IMAGE_PATH.argo, s.stableImage);
        d.setIn(STEPS_PATH, d.createNode(argoSteps(s.steps, currentPause(d))));
      }
      break;
    }
  }
  const objects = files.flatMap((f) => f.docs.map((doc) => doc.toJS() as Record<string, unknown>));
  validateObjects(objects, dir);
  const file = files.find((f) => f.file === t.file)!;
  writeFileAtomic(path.join(dir, t.file), file.docs.map((doc) => doc.toString({ lineWidth: 0 })).join(""));
  return statusOf(t);
}

/** The image of NEW_IMAGE_OR_BUILD: an image pinned by digest, or a build folder / its manifest. */
export function imageOf(arg: string): string {
  if (fs.existsSync(arg)) {
    const file = fs.statSync(arg).isDirectory() ? path.join(arg, "mlpack-manifest.json") : arg;
    let manifest: {
      artifacts?: {
        target: string;
        ref?: string;
        digest?: string;
        details?: { pushed?: { digest?: string } };
      }[];
    };
    try {
      manifest = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch {
      throw new UserError(`${file}: not a build manifest`, {
        hint: "give an image REPO@sha256:… or a folder `mlpack build` wrote",
      });
    }
    const a = manifest.artifacts?.find((x) => x.target === "docker");
    const digest = a?.details?.pushed?.digest ?? a?.digest;
    if (!a || !digest || !a.ref)
      throw new UserError(`${file}: the build has no docker image with a tag and digest`, {
        hint: "build with targets.docker.tag set (and push it), or give the image REPO@sha256:…",
      });
    return `${a.ref.replace(/@sha256:[0-9a-f]+$/, "")}@${digest}`;
  }
  if (!/^[^\s@]+@sha256:[0-9a-f]{64}$/.test(arg))
    throw new UserError(`${arg} is neither a build folder nor an image pinned by digest`, {
      hint: "give REPO[:TAG]@sha256:<64 hex> (a tag alone can move under the rollout) or the output folder of `mlpack build`",
    });
  return arg;
}
