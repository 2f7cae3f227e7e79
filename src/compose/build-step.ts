/**
 * The build's pre-step for `pipeline:` in mlpack.yaml: compose `model`, `pipeline.models` and the
 * stages into OUTPUT/<name>.pipeline.onnx, which the build then validates, quantizes, benches and
 * ships like any model. The output is byte-identical for the same inputs, so the build cache still hits.
 */
import path from "node:path";
import type { MlpackConfig } from "../config/types.js";
import { UserError, isMlpackError } from "../errors.js";
import { composeToFile, type ComposeReport } from "./compose.js";

export async function composePipeline(
  config: MlpackConfig,
  configFile: string,
  outDir: string,
  name: string,
): Promise<{ model: string; report: ComposeReport }> {
  const p = config.pipeline ?? {};
  const dir = path.dirname(path.resolve(configFile));
  const out = path.join(outDir, `${name}.pipeline.onnx`);
  try {
    const report = await composeToFile(
      {
        models: [config.model, ...(p.models ?? [])],
        connect: p.connect,
        pre: p.pre,
        post: p.post,
        keepOutputs: p.keepOutputs === false ? undefined : p.keepOutputs,
        dropOutputs: p.dropOutputs,
        baseDir: dir,
      },
      out,
    );
    return { model: out, report };
  } catch (e) {
    if (!isMlpackError(e)) throw e;
    // Flag names in compose's messages map to the config keys.
    const msg = e.message.replace(
      /--(connect|pre|post|keep-outputs|drop-outputs)\b/g,
      (_m, k: string) => `pipeline.${k.replace(/-(\w)/g, (_x, c: string) => c.toUpperCase())}`,
    );
    throw new UserError(`${configFile}: ${msg}`, { hint: e.hint, cause: e });
  }
}
