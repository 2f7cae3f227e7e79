/**
 * Loads a converted TF.js graph model from disk into @tensorflow/tfjs (pure-JS CPU backend) the way the
 * http loader does: model.json parsed by tfjs's own getModelArtifactsForJSON, shards read by the paths
 * in the manifest.
 */
import fs from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { shardBytes, type WeightShards } from "../../src/convert/tfjs/weights.js";

let ready: Promise<void> | undefined;

export function tfReady(): Promise<void> {
  ready ??= (async () => {
    await tf.setBackend("cpu");
    await tf.ready();
  })();
  return ready;
}

/** Loads model.json + shard files through a handler that reads the manifest's paths with `readShard`. */
export async function loadTfjsModel(
  modelJson: unknown,
  readShard: (p: string) => Uint8Array,
): Promise<tf.GraphModel> {
  await tfReady();
  const json = JSON.parse(JSON.stringify(modelJson)) as tf.io.ModelJSON;
  const handler: tf.io.IOHandler = {
    load: () =>
      tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs = manifest.flatMap((g) => g.weights);
        const all = Buffer.concat(manifest.flatMap((g) => g.paths.map(readShard)));
        const data = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
        return [specs, data];
      }),
  };
  return tf.loadGraphModel(handler);
}

export function loadTfjsDir(dir: string): Promise<tf.GraphModel> {
  const json: unknown = JSON.parse(fs.readFileSync(path.join(dir, "model.json"), "utf8"));
  return loadTfjsModel(json, (p) => fs.readFileSync(path.join(dir, p)));
}

/** Loads a conversion held in memory (convertModelFile's json and shards). */
export function loadTfjsInMemory(json: unknown, weights: WeightShards): Promise<tf.GraphModel> {
  return loadTfjsModel(json, (p) => shardBytes(weights, p));
}

export interface TfjsTensor {
  dims: number[];
  dtype: string;
  data: Float32Array | Int32Array | Uint8Array;
}

/** Runs the model on named inputs (ONNX names = signature keys); outputs by ONNX name. */
export async function runTfjs(
  model: tf.GraphModel,
  inputs: Record<string, { dims: number[]; dtype: "float32" | "int32" | "bool"; data: ArrayLike<number> }>,
  outputNames: string[],
): Promise<Record<string, TfjsTensor>> {
  const feeds: tf.NamedTensorMap = {};
  for (const [k, v] of Object.entries(inputs)) {
    const data =
      v.dtype === "float32"
        ? Float32Array.from(v.data)
        : v.dtype === "int32"
          ? Int32Array.from(v.data)
          : Uint8Array.from(v.data);
    feeds[k] = tf.tensor(data, v.dims, v.dtype);
  }
  try {
    let res: tf.Tensor | tf.Tensor[];
    try {
      res = model.execute(feeds, outputNames);
    } catch (e) {
      // Only graphs with dynamic ops (Where with one input, NonMaxSuppression, ...) need executeAsync.
      if (!/executeAsync/.test(String(e))) throw e;
      res = await model.executeAsync(feeds, outputNames);
    }
    const list = Array.isArray(res) ? res : [res];
    const out: Record<string, TfjsTensor> = {};
    for (let i = 0; i < outputNames.length; i++) {
      const t = list[i];
      out[outputNames[i]] = { dims: t.shape, dtype: t.dtype, data: (await t.data()) as TfjsTensor["data"] };
    }
    // Outputs may share one tensor (tfjs's Identity passes its input through): dispose each once.
    for (const t of new Set(list)) t.dispose();
    return out;
  } finally {
    for (const t of Object.values(feeds)) t.dispose();
  }
}
