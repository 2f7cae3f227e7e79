/**
 * Post-processing stages: softmax, argmax (optionally with labels), top-k (optionally with labels)
 * and thresholding. Each reads one tensor "x" over the last axis and is written for the pipeline's
 * opset (older opsets spell some attributes differently).
 */
import { UserError } from "../../errors.js";
import {
  checkLabelCount,
  DT,
  floats,
  int64s,
  lastAxis,
  makeNode,
  makeValueInfo,
  readLabels,
  requireFloat,
  stageModel,
  strings,
  upstreamOf,
  type Stage,
  type StageContext,
} from "./common.js";
import type { TensorProto } from "../../onnx/proto.js";
import { arrayToTensor } from "../../onnx/tensor.js";
import type { Dim } from "../../ir/types.js";

const IN = "x";

function dropLast(dims: Dim[] | undefined): Dim[] | undefined {
  return dims?.slice(0, -1);
}

function withLast(dims: Dim[] | undefined, last: Dim): Dim[] | undefined {
  return dims && [...dims.slice(0, -1), last];
}

export function softmaxStage(spec: string): Stage {
  return {
    kind: "post",
    spec,
    name: "softmax",
    minOpset: 1,
    port: IN,
    main: "probabilities",
    build(ctx) {
      const { elemType, dims } = upstreamOf(ctx, spec);
      requireFloat(spec, elemType, ctx.upstream?.name);
      // Softmax before 13 flattens to 2-D around `axis`; with the last axis that is the same thing.
      const axis = ctx.opset >= 13 ? -1 : lastAxis(ctx, spec, dims);
      return stageModel(
        ctx,
        [makeNode("Softmax", [IN], ["probabilities"], { axis: { int: axis } })],
        [makeValueInfo(IN, elemType, dims)],
        [makeValueInfo("probabilities", elemType, dims)],
        [],
      );
    },
  };
}

export function argmaxStage(spec: string, labelsFile?: string): Stage {
  return {
    kind: "post",
    spec,
    name: "argmax",
    minOpset: 1,
    port: IN,
    main: "class_index",
    build(ctx) {
      const { elemType, dims } = upstreamOf(ctx, spec);
      const axis = lastAxis(ctx, spec, dims);
      const inits: TensorProto[] = [];
      const nodes = [
        makeNode("ArgMax", [IN], ["class_index"], { axis: { int: axis }, keepdims: { int: 0 } }),
      ];
      const outputs = [makeValueInfo("class_index", DT.INT64, dropLast(dims))];
      if (labelsFile) {
        const labels = readLabels(labelsFile, spec);
        checkLabelCount(spec, labels, labelsFile, dims);
        inits.push(strings("label_table", labels));
        nodes.push(makeNode("Gather", ["label_table", "class_index"], ["label"], { axis: { int: 0 } }));
        outputs.push(makeValueInfo("label", DT.STRING, dropLast(dims)));
      }
      return stageModel(ctx, nodes, [makeValueInfo(IN, elemType, dims)], outputs, inits);
    },
  };
}

export function topkStage(spec: string, k: number, labelsFile?: string): Stage {
  if (!Number.isInteger(k) || k < 1)
    throw new UserError(`stage ${spec}: K must be a whole number of at least 1`, { hint: "e.g. topk:5" });
  return {
    kind: "post",
    spec,
    name: "topk",
    // TopK-1 has no `largest`/`sorted` but always returns the largest, sorted: same result.
    minOpset: 1,
    port: IN,
    main: "scores",
    build(ctx) {
      const { elemType, dims } = upstreamOf(ctx, spec);
      requireFloat(spec, elemType, ctx.upstream?.name);
      const classes = dims?.[dims.length - 1];
      if (typeof classes === "number" && k > classes)
        throw new UserError(`stage ${spec}: K=${k} but "${ctx.upstream?.name}" has only ${classes} classes`, {
          hint: `use K <= ${classes}`,
        });
      const axis = lastAxis(ctx, spec, dims);
      const inits: TensorProto[] = [];
      const nodes =
        ctx.opset < 10
          ? [makeNode("TopK", [IN], ["scores", "indices"], { k: { int: k }, axis: { int: axis } })]
          : (inits.push(int64s("k", [k])),
            [makeNode("TopK", [IN, "k"], ["scores", "indices"], { axis: { int: axis } })]);
      const outDims = withLast(dims, k);
      const outputs = [
        makeValueInfo("scores", elemType, outDims),
        makeValueInfo("indices", DT.INT64, outDims),
      ];
      if (labelsFile) {
        const labels = readLabels(labelsFile, spec);
        checkLabelCount(spec, labels, labelsFile, dims);
        inits.push(strings("label_table", labels));
        nodes.push(makeNode("Gather", ["label_table", "indices"], ["labels"], { axis: { int: 0 } }));
        outputs.push(makeValueInfo("labels", DT.STRING, outDims));
      }
      return stageModel(ctx, nodes, [makeValueInfo(IN, elemType, dims)], outputs, inits);
    },
  };
}

export function thresholdStage(spec: string, threshold: number): Stage {
  if (!Number.isFinite(threshold))
    throw new UserError(`stage ${spec}: the threshold must be a number`, { hint: "e.g. threshold:0.5" });
  return {
    kind: "post",
    spec,
    name: "threshold",
    minOpset: 7,
    port: IN,
    main: "mask",
    build(ctx: StageContext) {
      const { elemType, dims } = upstreamOf(ctx, spec);
      requireFloat(spec, elemType, ctx.upstream?.name);
      const t =
        elemType === DT.FLOAT
          ? floats("threshold", [], [threshold])
          : arrayToTensor("threshold", DT.DOUBLE, [], Float64Array.of(threshold));
      if (elemType === DT.FLOAT16)
        throw new UserError(`stage ${spec}: float16 scores are not supported by the threshold stage`, {
          hint: "threshold float or double scores",
        });
      return stageModel(
        ctx,
        [makeNode("Greater", [IN, "threshold"], ["mask"])],
        [makeValueInfo(IN, elemType, dims)],
        [makeValueInfo("mask", DT.BOOL, dims)],
        [t],
      );
    },
  };
}
