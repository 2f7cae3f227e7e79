/**
 * `mlpack compose`: reads the models, adds the requested pre/post-processing stages, reconciles
 * opsets, merges everything into one graph, checks it against onnxruntime's CPU support and writes it
 * (atomically; nothing is written when any check fails).
 */
import fs from "node:fs";
import path from "node:path";
import { readModel, forEachStoredTensor, readTensorBytes, isExternal } from "../onnx/read.js";
import { writeModel } from "../onnx/write.js";
import type { ModelProto, ValueInfoProto } from "../onnx/proto.js";
import { UserError } from "../errors.js";
import { formatDiagnostic } from "../diagnostics.js";
import { feedInputs, pieceOutputs } from "./connect.js";
import { parseConnection, parseEndpoint, pieceIds } from "./endpoints.js";
import { mergePieces } from "./merge.js";
import { reconcileOpsets } from "./opset.js";
import { parseStage, type Stage } from "./stages/index.js";
import { formatEndpoint, type Connection, type Endpoint, type OutputPolicy, type Piece } from "./types.js";

export interface ComposeRequest {
  /** Model files, in pipeline order (the first gets the pre stages, the last the post stages). */
  models: string[];
  /** "A.out=B.in" */
  connect?: string[];
  pre?: string[];
  post?: string[];
  /** true: keep every unconnected output; a list of "A.out": keep those too. */
  keepOutputs?: boolean | string[];
  dropOutputs?: string[];
  /** Directory that label files are relative to. Default: the working directory. */
  baseDir?: string;
}

export interface ComposeReport {
  output?: string;
  pieces: { id: string; source: string; opset: number }[];
  connections: string[];
  inputs: string[];
  outputs: string[];
  opset: number;
  irVersion: number;
  /** Models whose opset was raised: "id: 9 -> 11". */
  raised: string[];
  nodes: number;
  initializers: number;
  dedupedInitializers: number;
  bytes?: number;
  dataBytes?: number;
}

export interface Composed {
  proto: ModelProto;
  report: ComposeReport;
  /** Some input kept its weights in external data files (the output will too). */
  hadExternalData: boolean;
}

/** Every tensor in memory: the merged model no longer has one directory its data files sit in. */
function inlineExternal(loaded: Awaited<ReturnType<typeof readModel>>): boolean {
  let any = false;
  forEachStoredTensor(loaded.proto, (t) => {
    if (!isExternal(t)) return;
    any = true;
    t.rawData = readTensorBytes(loaded, t) as Uint8Array<ArrayBuffer>;
    t.externalData = [];
    delete (t as { dataLocation?: unknown }).dataLocation;
  });
  return any;
}

function soleOrNamed(
  vs: ValueInfoProto[],
  at: string | undefined,
  what: string,
  piece: Piece,
  stage: Stage,
): string {
  if (at !== undefined) {
    if (!vs.some((v) => v.name === at))
      throw new UserError(`--${stage.kind} ${stage.spec}: "${piece.id}" has no ${what} "${at}"`, {
        hint: `${what}s of ${piece.id}: ${vs.map((v) => v.name).join(", ")}`,
      });
    return at;
  }
  if (vs.length !== 1)
    throw new UserError(
      `--${stage.kind} ${stage.spec}: "${piece.id}" has ${vs.length} ${what}s (${vs.map((v) => v.name).join(", ")})`,
      {
        hint: `pick one by ending the stage with @NAME, e.g. ${stage.spec}@${vs[0]?.name ?? "x"}`,
      },
    );
  return vs[0].name;
}

function stageId(stage: Stage, taken: Set<string>): string {
  const base = `${stage.kind}_${stage.name}`;
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}_${n}`;
  taken.add(id);
  return id;
}

export async function composeModels(req: ComposeRequest): Promise<Composed> {
  if (req.models.length === 0)
    throw new UserError("compose needs at least one model", {
      hint: "mlpack compose A.onnx B.onnx --connect A.out=B.in -o pipeline.onnx",
    });
  const baseDir = req.baseDir ?? process.cwd();
  const ids = pieceIds(req.models);
  let hadExternalData = false;
  const models: Piece[] = [];
  for (const [i, file] of req.models.entries()) {
    const loaded = await readModel(path.resolve(baseDir, file));
    hadExternalData = inlineExternal(loaded) || hadExternalData;
    models.push({ id: ids[i], source: path.basename(file), proto: loaded.proto });
  }
  const modelIds = models.map((p) => p.id);
  const connections: Connection[] = (req.connect ?? []).map((c) => parseConnection(c, modelIds));
  const pre = (req.pre ?? []).map((s) => parseStage("pre", s, baseDir));
  const post = (req.post ?? []).map((s) => parseStage("post", s, baseDir));

  const versions = reconcileOpsets(models, Math.max(0, ...[...pre, ...post].map((s) => s.minOpset)));
  const pieces = [...models];
  const taken = new Set(modelIds);
  const first = models[0];
  const last = models[models.length - 1];
  const stageCtx = { opset: versions.opset };
  for (const s of pre) {
    const input = soleOrNamed(feedInputs(first), s.at, "input", first, s);
    const downstream = feedInputs(first).find((v) => v.name === input);
    const piece: Piece = {
      id: stageId(s, taken),
      source: `stage ${s.spec}`,
      stage: true,
      proto: s.build({ ...stageCtx, downstream }),
    };
    pieces.unshift(piece);
    connections.push({ from: { piece: piece.id, name: s.port }, to: { piece: first.id, name: input } });
  }
  let feeding: Endpoint | undefined;
  for (const s of post) {
    if (!feeding || s.at !== undefined)
      feeding = { piece: last.id, name: soleOrNamed(pieceOutputs(last), s.at, "output", last, s) };
    const from = feeding;
    const upstream = pieceOutputs(pieces.find((p) => p.id === from.piece)!).find((v) => v.name === from.name);
    const piece: Piece = {
      id: stageId(s, taken),
      source: `stage ${s.spec}`,
      stage: true,
      proto: s.build({ ...stageCtx, upstream }),
    };
    pieces.push(piece);
    connections.push({ from, to: { piece: piece.id, name: s.port } });
    feeding = { piece: piece.id, name: s.main };
  }

  const allIds = pieces.map((p) => p.id);
  const refs = (xs: string[] | undefined, flag: string) =>
    (xs ?? []).map((x) => parseEndpoint(x, allIds, flag));
  const policy: OutputPolicy = {
    keep:
      req.keepOutputs === true
        ? true
        : Array.isArray(req.keepOutputs)
          ? refs(req.keepOutputs, "--keep-outputs")
          : undefined,
    drop: refs(req.dropOutputs, "--drop-outputs"),
  };
  const opsetOf = new Map(
    models.map((m) => [
      m.id,
      Number(m.proto.opsetImport.find((o) => o.domain === "" || o.domain === "ai.onnx")?.version ?? 0),
    ]),
  );
  const merged = mergePieces(pieces, connections, policy, versions);
  const g = merged.proto.graph!;
  return {
    proto: merged.proto,
    hadExternalData,
    report: {
      pieces: pieces.map((p) => ({ id: p.id, source: p.source, opset: opsetOf.get(p.id) ?? versions.opset })),
      connections: connections.map((c) => `${formatEndpoint(c.from)}=${formatEndpoint(c.to)}`),
      inputs: merged.inputs,
      outputs: merged.outputs,
      opset: versions.opset,
      irVersion: versions.irVersion,
      raised: versions.raised,
      nodes: g.node.length,
      initializers: g.initializer.length,
      dedupedInitializers: merged.dedupedInitializers,
    },
  };
}

/** Composes, validates against onnxruntime's CPU support, and writes `out` (+ data file if needed). */
export async function composeToFile(req: ComposeRequest, out: string): Promise<ComposeReport> {
  // The write is a rename over `out`: never over a directory or a device such as /dev/null.
  const existing = fs.statSync(out, { throwIfNoEntry: false });
  if (existing && !existing.isFile())
    throw new UserError(`-o ${out}: exists and is not a regular file`, {
      hint: "give the path of an .onnx file to write (an existing model there is replaced)",
    });
  const composed = await composeModels(req);
  const [{ validateModelProto }, { loadTarget }] = await Promise.all([
    import("../passes/validate.js"),
    import("../ops/support/targets.js"),
  ]);
  const check = validateModelProto(composed.proto, out, { target: await loadTarget("ort-cpu") });
  if (!check.valid) {
    const errors = check.diagnostics.filter((d) => d.severity === "error");
    throw new UserError(
      `the composed pipeline does not pass validate --target ort-cpu (${errors.length} errors); nothing was written:\n` +
        errors
          .slice(0, 5)
          .map((d) => "  " + formatDiagnostic(d))
          .join("\n"),
      {
        hint: "the pieces are each valid but do not fit together as connected; check the connections and the stages' opsets",
      },
    );
  }
  const w = await writeModel(composed.proto, out, {
    externalData: composed.hadExternalData ? "always" : "auto",
  });
  return {
    ...composed.report,
    output: w.modelPath,
    bytes: w.modelBytes,
    dataBytes: w.dataBytes || undefined,
  };
}
