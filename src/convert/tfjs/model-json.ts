/**
 * model.json as tensorflowjs_converter writes a graph model: format, generatedBy (the producer of the
 * source graph), convertedBy, signature (ONNX names as keys, "node:0" tensor names), modelTopology
 * (a TF GraphDef in protobuf JSON) and weightsManifest.
 */
import { A, TF_DTYPE_ENUM } from "./graph-builder.js";
import type { ConvertedGraph, GraphIo } from "./convert-graph.js";
import type { TfShapeJson } from "./types.js";
import type { WeightsManifestGroup } from "./weights.js";

/** GraphDef producer version of the TF release whose op set the converter targets (TF 2.13). */
const GRAPH_PRODUCER = 1474;

export interface TensorInfoJson {
  name: string;
  dtype: string;
  tensorShape: TfShapeJson;
}

export interface ModelJson {
  format: "graph-model";
  generatedBy: string;
  convertedBy: string;
  signature: { inputs: Record<string, TensorInfoJson>; outputs: Record<string, TensorInfoJson> };
  userDefinedMetadata?: Record<string, unknown>;
  modelTopology: { node: unknown[]; library: Record<string, never>; versions: { producer: number } };
  weightsManifest: WeightsManifestGroup[];
}

function tensorInfo(io: GraphIo): TensorInfoJson {
  const shape = (A.shape(io.shape) as { shape: TfShapeJson }).shape;
  return { name: `${io.tfName}:0`, dtype: TF_DTYPE_ENUM[io.dtype], tensorShape: shape };
}

export function buildModelJson(
  g: ConvertedGraph,
  manifest: WeightsManifestGroup[],
  meta: { generatedBy: string; convertedBy: string; userDefinedMetadata?: Record<string, unknown> },
): ModelJson {
  const json: ModelJson = {
    format: "graph-model",
    generatedBy: meta.generatedBy,
    convertedBy: meta.convertedBy,
    signature: {
      inputs: Object.fromEntries(g.inputs.map((i) => [i.onnxName, tensorInfo(i)])),
      outputs: Object.fromEntries(g.outputs.map((o) => [o.onnxName, tensorInfo(o)])),
    },
    modelTopology: { node: g.builder.nodes, library: {}, versions: { producer: GRAPH_PRODUCER } },
    weightsManifest: manifest,
  };
  if (meta.userDefinedMetadata) {
    // tensorflowjs_converter puts user metadata between the signature and the topology.
    const { modelTopology, weightsManifest, ...head } = json;
    return { ...head, userDefinedMetadata: meta.userDefinedMetadata, modelTopology, weightsManifest };
  }
  return json;
}
