/** What every stage shares: its parsed form, the context it is built in, and opset-aware node helpers. */
import fs from "node:fs";
import path from "node:path";
import { makeModel, makeNode, makeValueInfo } from "../../onnx/build.js";
import { arrayToTensor } from "../../onnx/tensor.js";
import { DT } from "../../onnx/dtypes.js";
import { UserError } from "../../errors.js";
import type { ModelProto, NodeProto, TensorProto, ValueInfoProto } from "../../onnx/proto.js";
import { irVersionForOpset } from "../opset.js";
import { tensorShape, type Dim } from "../../ir/types.js";

export interface StageContext {
  /** The pipeline's ai.onnx opset; stages are built for it. */
  opset: number;
  /** For post stages: the value the stage reads (type and shape). */
  upstream?: ValueInfoProto;
  /** For pre stages: the model input the stage feeds. */
  downstream?: ValueInfoProto;
}

export interface Stage {
  /** "pre" stages feed a model input; "post" stages read a model output. */
  kind: "pre" | "post";
  /** The spec as written, for messages. */
  spec: string;
  /** Short id, used as the name prefix: "image", "softmax", "topk", ... */
  name: string;
  /** Lowest ai.onnx opset the stage can be written in. */
  minOpset: number;
  /** The stage's graph input that the model output feeds (post) / output that feeds the model (pre). */
  port: string;
  /** The value a following post stage reads. */
  main: string;
  /** A model input or output to attach to (`@name` in the spec); default: the only one. */
  at?: string;
  build(ctx: StageContext): ModelProto;
}

export function stageModel(
  ctx: StageContext,
  nodes: NodeProto[],
  inputs: ValueInfoProto[],
  outputs: ValueInfoProto[],
  initializers: TensorProto[],
): ModelProto {
  return makeModel({
    name: "stage",
    nodes,
    inputs,
    outputs,
    initializers,
    opsets: { "": ctx.opset },
    irVersion: irVersionForOpset(ctx.opset),
  });
}

export function int64s(name: string, values: number[]): TensorProto {
  return arrayToTensor(name, DT.INT64, [values.length], BigInt64Array.from(values.map(BigInt)));
}

export function floats(name: string, dims: number[], values: number[]): TensorProto {
  return arrayToTensor(name, DT.FLOAT, dims, Float32Array.from(values));
}

export function strings(name: string, values: string[]): TensorProto {
  const enc = new TextEncoder();
  return arrayToTensor(
    name,
    DT.STRING,
    [values.length],
    values.map((s) => enc.encode(s)),
  );
}

/** Unsqueeze moved `axes` from an attribute to an input at opset 13. */
export function unsqueeze(ctx: StageContext, x: string, out: string, axes: number[], inits: TensorProto[]) {
  if (ctx.opset >= 13) {
    inits.push(int64s(`${out}_axes`, axes));
    return makeNode("Unsqueeze", [x, `${out}_axes`], [out]);
  }
  return makeNode("Unsqueeze", [x], [out], { axes: { ints: axes } });
}

/** Slice took starts/ends/axes as attributes before opset 10. */
export function sliceStatic(
  ctx: StageContext,
  x: string,
  out: string,
  starts: number[],
  ends: number[],
  axes: number[],
  inits: TensorProto[],
) {
  if (ctx.opset < 10)
    return makeNode("Slice", [x], [out], {
      starts: { ints: starts },
      ends: { ints: ends },
      axes: { ints: axes },
    });
  inits.push(int64s(`${out}_starts`, starts), int64s(`${out}_ends`, ends), int64s(`${out}_axes`, axes));
  return makeNode("Slice", [x, `${out}_starts`, `${out}_ends`, `${out}_axes`], [out]);
}

/** The upstream value's element type and shape; post stages need at least its element type. */
export function upstreamOf(ctx: StageContext, stage: string): { elemType: number; dims?: Dim[] } {
  const t = ctx.upstream?.type?.value;
  if (t?.case !== "tensorType" || !t.value.elemType)
    throw new UserError(
      `stage ${stage}: the value it reads ("${ctx.upstream?.name}") has no declared tensor type`,
      {
        hint: "the model must declare the type of its outputs",
      },
    );
  return { elemType: t.value.elemType, dims: tensorShape(ctx.upstream!.type) };
}

/** The last axis: -1 where the opset allows negative axes (11+), else rank - 1 (rank must be known). */
export function lastAxis(ctx: StageContext, stage: string, dims: Dim[] | undefined): number {
  if (dims) return dims.length - 1;
  if (ctx.opset >= 11) return -1;
  throw new UserError(
    `stage ${stage}: "${ctx.upstream?.name}" has no declared rank, and opset ${ctx.opset} needs one`,
    {
      hint: "declare the output's shape in the model, or use a model at opset 11 or newer",
    },
  );
}

export function requireFloat(stage: string, elemType: number, name: string | undefined): void {
  if (elemType !== DT.FLOAT && elemType !== DT.DOUBLE && elemType !== DT.FLOAT16)
    throw new UserError(`stage ${stage}: "${name}" is not a floating-point tensor`, {
      hint: "softmax, top-k and threshold read scores or logits (float, double or float16)",
    });
}

/** One label per line; a trailing empty line is ignored. */
export function readLabels(file: string, stage: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new UserError(`stage ${stage}: cannot read labels file ${file}`, {
      hint: "give a text file with one label per line (paths are relative to the working directory or config file)",
    });
  }
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  if (lines.length === 0)
    throw new UserError(`stage ${stage}: labels file ${file} is empty`, { hint: "one label per line" });
  return lines;
}

/** A labels file must have one label per class when the class count is known. */
export function checkLabelCount(stage: string, labels: string[], file: string, dims: Dim[] | undefined) {
  const classes = dims?.[dims.length - 1];
  if (typeof classes === "number" && classes !== labels.length)
    throw new UserError(
      `stage ${stage}: ${path.basename(file)} has ${labels.length} labels but the scores have ${classes} classes`,
      {
        hint: "give one label per class, in class-index order",
      },
    );
}

export { makeNode, makeValueInfo, DT };
