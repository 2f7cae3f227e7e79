/**
 * Which model a URL names, and its OIP metadata: shared by the HTTP server's service and the
 * in-process service inside the Lambda handler, so both answer /v2/models/... identically.
 */
import { notFound } from "./errors.js";
import { oipShape, type ModelInfo, type TensorSpec } from "./model-info.js";

export interface ModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: { name: string; datatype: string; shape: number[] }[];
  outputs: { name: string; datatype: string; shape: number[] }[];
}

/** Numeric versions compare as numbers ("10" > "9"); others as strings. */
function compareVersions(a: string, b: string): number {
  const [x, y] = [Number(a), Number(b)];
  if (Number.isFinite(x) && Number.isFinite(y)) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}

const specJson = (t: TensorSpec) => ({ name: t.name, datatype: t.datatype, shape: oipShape(t.shape) });

/** `candidateIds` (name@version of canary and shadow versions) are never picked by a URL without a version. */
export function modelRegistry(
  models: readonly ModelInfo[],
  candidateIds: ReadonlySet<string> = new Set(),
): {
  resolveModel(name: string, version?: string): ModelInfo;
  modelMetadata(name: string, version?: string): ModelMetadata;
} {
  /** The named model; without a version, its highest version. */
  const resolveModel = (name: string, version?: string): ModelInfo => {
    const candidates = models.filter((m) => m.name === name);
    if (candidates.length === 0)
      throw notFound(
        `unknown model "${name}" (serving ${[...new Set(models.map((m) => `"${m.name}"`))].join(", ")})`,
      );
    if (version === undefined)
      return candidates
        .filter((c) => !candidateIds.has(`${c.name}@${c.version}`))
        .reduce((a, b) => (compareVersions(b.version, a.version) > 0 ? b : a));
    const m = candidates.find((c) => c.version === version);
    if (!m)
      throw notFound(
        `model "${name}" has no version "${version}" (versions: ${candidates.map((c) => c.version).join(", ")})`,
      );
    return m;
  };
  return {
    resolveModel,
    modelMetadata(name, version) {
      const m = resolveModel(name, version);
      return {
        name: m.name,
        versions: models.filter((x) => x.name === m.name).map((x) => x.version),
        platform: "onnxruntime_onnx",
        inputs: m.inputs.map(specJson),
        outputs: m.outputs.map(specJson),
      };
    },
  };
}
