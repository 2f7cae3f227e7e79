/**
 * Merges pieces into one graph: each piece's names get its id as a prefix (pipeline inputs and
 * outputs keep their own names unless two pieces share one), connected inputs read the feeding
 * output, nodes are laid out piece by piece in dependency order, equal initializers are stored once.
 */
import { create, ModelProtoSchema, GraphProtoSchema, OperatorSetIdProtoSchema } from "../onnx/proto.js";
import { StringStringEntryProtoSchema, type ModelProto, type ValueInfoProto } from "../onnx/proto.js";
import { UserError } from "../errors.js";
import { checkConnections, feedInputs, findOutput, orderPieces, pieceOutputs } from "./connect.js";
import { renamePiece } from "./rename.js";
import { dedupeInitializers, mergeFunctions } from "./dedupe.js";
import type { Reconciled } from "./opset.js";
import {
  formatEndpoint as fmt,
  type Connection,
  type Endpoint,
  type OutputPolicy,
  type Piece,
} from "./types.js";

export interface MergeResult {
  proto: ModelProto;
  inputs: string[];
  outputs: string[];
  /** Initializers dropped because another piece stores the same tensor. */
  dedupedInitializers: number;
}

const key = (piece: string, name: string) => `${piece}\u0000${name}`;

/** Which piece outputs become pipeline outputs, in piece order. */
export function selectOutputs(order: Piece[], connections: Connection[], policy: OutputPolicy): Endpoint[] {
  const connected = new Set(connections.map((c) => key(c.from.piece, c.from.name)));
  const stages = new Set(order.filter((p) => p.stage).map((p) => p.id));
  const feeds = new Set(connections.filter((c) => !stages.has(c.to.piece)).map((c) => c.from.piece));
  const kept = new Set<string>();
  if (Array.isArray(policy.keep))
    for (const e of policy.keep) {
      findOutput(order, e, `--keep-outputs ${fmt(e)}`);
      kept.add(key(e.piece, e.name));
    }
  const dropped = new Set<string>();
  for (const e of policy.drop ?? []) {
    findOutput(order, e, `--drop-outputs ${fmt(e)}`);
    dropped.add(key(e.piece, e.name));
  }
  const out: Endpoint[] = [];
  for (const p of order)
    for (const v of pieceOutputs(p)) {
      const k = key(p.id, v.name);
      const wanted = kept.has(k) || (!connected.has(k) && (policy.keep === true || !feeds.has(p.id)));
      if (wanted && !dropped.has(k)) out.push({ piece: p.id, name: v.name });
    }
  if (out.length === 0)
    throw new UserError("the pipeline would have no outputs", {
      hint: "drop fewer outputs, or keep some with --keep-outputs PIECE.OUTPUT",
    });
  return out;
}

export function mergePieces(
  pieces: Piece[],
  connections: Connection[],
  policy: OutputPolicy,
  versions: Reconciled,
): MergeResult {
  checkConnections(pieces, connections);
  const order = orderPieces(pieces, connections);
  const fedBy = new Map(connections.map((c) => [key(c.to.piece, c.to.name), c.from]));
  const outputs = selectOutputs(order, connections, policy);
  const inputs: Endpoint[] = order.flatMap((p) =>
    feedInputs(p)
      .filter((v) => !fedBy.has(key(p.id, v.name)))
      .map((v) => ({ piece: p.id, name: v.name })),
  );

  // Boundary names stay as the model had them, unless two boundary values would share one.
  const uses = new Map<string, number>();
  for (const e of [...inputs, ...outputs]) uses.set(e.name, (uses.get(e.name) ?? 0) + 1);
  const boundary = new Map<string, string>();
  for (const e of [...inputs, ...outputs])
    boundary.set(key(e.piece, e.name), uses.get(e.name)! > 1 ? `${e.piece}/${e.name}` : e.name);
  const outputName = (e: Endpoint) => boundary.get(key(e.piece, e.name)) ?? `${e.piece}/${e.name}`;

  const renamed = order.map((p) => {
    const f = (name: string) => {
      const from = fedBy.get(key(p.id, name));
      if (from) return outputName(from);
      return boundary.get(key(p.id, name)) ?? `${p.id}/${name}`;
    };
    return { piece: p, proto: renamePiece(p.proto, f, `${p.id}/`) };
  });

  const dedupe = dedupeInitializers(renamed.map((r) => r.proto));
  const graphs = dedupe.protos.map((m) => m.graph!);
  const infoOf = (e: Endpoint): ValueInfoProto => {
    const at = order.findIndex((p) => p.id === e.piece);
    return graphs[at].output.find((v) => v.name === outputName(e))!;
  };
  const graphInputs = graphs.flatMap((g, i) => {
    const fed = new Set(connections.filter((c) => c.to.piece === order[i].id).map((c) => outputName(c.from)));
    return g.input.filter((v) => !fed.has(v.name));
  });
  // The connected values keep their producer's declared type and shape as value_info.
  const connectedInfo = connections.map((c) => infoOf(c.from));
  const outputSet = new Set(outputs.map(outputName));
  const valueInfo = [
    ...connectedInfo.filter((v) => !outputSet.has(v.name)),
    ...graphs.flatMap((g) => g.valueInfo),
  ];
  const seenInfo = new Set<string>();
  const graph = create(GraphProtoSchema, {
    name: "pipeline",
    node: graphs.flatMap((g) => g.node),
    input: graphInputs,
    output: outputs.map(infoOf),
    initializer: graphs.flatMap((g) => g.initializer),
    sparseInitializer: graphs.flatMap((g) => g.sparseInitializer),
    valueInfo: valueInfo.filter((v) => !seenInfo.has(v.name) && seenInfo.add(v.name)),
    docString: `mlpack pipeline: ${order.map((p) => p.id).join(", ")}`,
  });
  const opsetImport = [
    create(OperatorSetIdProtoSchema, { domain: "", version: BigInt(versions.opset) }),
    ...[...versions.domains]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([domain, v]) => create(OperatorSetIdProtoSchema, { domain, version: BigInt(v) })),
  ];
  const record = {
    pieces: order.map((p) => ({ id: p.id, source: p.source })),
    connections: connections.map((c) => `${fmt(c.from)}=${fmt(c.to)}`),
  };
  const proto = create(ModelProtoSchema, {
    irVersion: BigInt(versions.irVersion),
    producerName: "mlpack compose",
    opsetImport,
    graph,
    functions: mergeFunctions(order.map((p) => ({ id: p.id, proto: p.proto }))),
    metadataProps: [
      create(StringStringEntryProtoSchema, { key: "mlpack.pipeline", value: JSON.stringify(record) }),
    ],
  });
  return {
    proto,
    inputs: graphInputs.map((v) => v.name),
    outputs: outputs.map(outputName),
    dedupedInitializers: dedupe.dropped,
  };
}
