/** The stage library behind `--pre` / `--post` and `pipeline.pre` / `pipeline.post`. */
import path from "node:path";
import { UserError } from "../../errors.js";
import type { Stage } from "./common.js";
import { imageStage, parseImageOptions } from "./image.js";
import { argmaxStage, softmaxStage, thresholdStage, topkStage } from "./post.js";

export type { Stage, StageContext } from "./common.js";

export const PRE_STAGES = "image:HxW[:resize=HxW][:input=HxW][:mean=r,g,b][:std=r,g,b][:scale=S][:bgr]";
export const POST_STAGES = "softmax | argmax[:labels.txt] | topk:K[:labels.txt] | threshold:T";

/**
 * Parses one stage spec. `@name` at the end picks the model input (pre) or output (post) it attaches
 * to. Label files are relative to `baseDir`.
 */
export function parseStage(kind: "pre" | "post", text: string, baseDir: string): Stage {
  const at = text.lastIndexOf("@");
  const [body, target] = at > 0 ? [text.slice(0, at), text.slice(at + 1)] : [text, undefined];
  const [name, ...args] = body.split(":");
  const file = (f: string | undefined) => (f ? path.resolve(baseDir, f) : undefined);
  const usage = kind === "pre" ? PRE_STAGES : POST_STAGES;
  const wrongKind = () =>
    new UserError(`--${kind} ${text}: "${name}" is a ${kind === "pre" ? "post" : "pre"}-processing stage`, {
      hint: `${kind}-processing stages: ${usage}`,
    });
  const extra = (max: number) => {
    if (args.length > max)
      throw new UserError(`--${kind} ${text}: too many parts after "${name}"`, { hint: `stages: ${usage}` });
  };
  let stage: Stage;
  switch (name) {
    case "image":
      if (kind !== "pre") throw wrongKind();
      stage = imageStage(text, parseImageOptions(text, args));
      break;
    case "softmax":
      if (kind !== "post") throw wrongKind();
      extra(0);
      stage = softmaxStage(text);
      break;
    case "argmax":
      if (kind !== "post") throw wrongKind();
      extra(1);
      stage = argmaxStage(text, file(args[0]));
      break;
    case "topk":
      if (kind !== "post") throw wrongKind();
      extra(2);
      stage = topkStage(text, Number(args[0] ?? NaN), file(args[1]));
      break;
    case "threshold":
      if (kind !== "post") throw wrongKind();
      extra(1);
      stage = thresholdStage(text, args[0] === undefined || args[0] === "" ? NaN : Number(args[0]));
      break;
    default:
      throw new UserError(`--${kind} ${text}: unknown stage "${name}"`, {
        hint: `${kind}-processing stages: ${usage}`,
      });
  }
  return { ...stage, at: target };
}
