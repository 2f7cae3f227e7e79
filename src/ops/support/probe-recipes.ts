/**
 * Per-op recipes for the kernel probe: what an op needs beyond "required attributes with plausible
 * values" for the runtime to accept a one-node model (subgraphs, optional inputs that must be wired,
 * attributes the kernel constructor insists on) and which type tuples are impossible. One entry per
 * op name; a recipe covers every version, and each version only receives the attributes it declares.
 */
import type { TensorProto, GraphProto } from "../../onnx/proto.js";
import { dtypeByName } from "../../onnx/dtypes.js";
import { resolveSchema } from "../schema/registry.js";
import type { FormalParam, OpSchema } from "../schema/types.js";
import { nodeGraph, passThroughGraph, smallTensor, tensorElemId, type AttrValue } from "./probe-proto.js";

type Binding = Readonly<Record<string, string>>;

/** Everything the recipe and attribute fillers may look at. */
export interface ProbeContext {
  schema: OpSchema;
  /** Type parameter → bound type string. */
  binding: Readonly<Record<string, string>>;
  /** Type of a formal input/output: its type parameter's binding, or its own concrete type. */
  typeOf(param: FormalParam): string;
  /** Adds a graph input (an outer-scope value a subgraph reads). */
  addGraphInput(name: string, type: string): void;
}

export interface ProbeRecipe {
  /** Optional inputs/outputs to wire even though another formal already binds their type. */
  inputs?: string[];
  outputs?: string[];
  /** Optional inputs/outputs to leave out even though they are the only binding of a type. */
  dropInputs?: string[] | ((b: Binding) => string[]);
  dropOutputs?: string[];
  /** How many values a variadic formal gets (default: enough for the minimum arity, at least one). */
  variadicInputs?: number;
  /** Types of the values of a heterogeneous variadic input, when they differ from its bound type. */
  variadicInputTypes?: (ctx: ProbeContext) => string[];
  variadicOutputs?: number;
  /** Attributes to set (null removes a default one); names the version does not declare are skipped. */
  attributes?: (ctx: ProbeContext) => Partial<Record<string, AttrValue | null>>;
  /** False for type tuples no model can have (seq(T) whose T is not the element type, ...). */
  validTuple?: (b: Binding, schema: OpSchema) => boolean;
}

const int = (value: number): AttrValue => ({ kind: "int", value });
const ints = (value: number[]): AttrValue => ({ kind: "ints", value });
const float = (value: number): AttrValue => ({ kind: "float", value });
const floats = (value: number[]): AttrValue => ({ kind: "floats", value });
const str = (value: string): AttrValue => ({ kind: "string", value });
const strs = (value: string[]): AttrValue => ({ kind: "strings", value });
const graph = (value: GraphProto): AttrValue => ({ kind: "graph", value });
const tensor = (value: TensorProto): AttrValue => ({ kind: "tensor", value });

/** Type bound to the formal input/output named `name`. */
function typeOfFormal(ctx: ProbeContext, name: string): string {
  const p = [...ctx.schema.inputs, ...ctx.schema.outputs].find((q) => q.name === name);
  if (!p)
    throw new Error(`probe recipe: ${ctx.schema.name}-${ctx.schema.sinceVersion} has no formal "${name}"`);
  return ctx.typeOf(p);
}

/** seq(X) → X, optional(X) → X, anything else unchanged. */
function unwrap(type: string): string {
  return /^(?:seq|optional)\((.*)\)$/.exec(type)?.[1] ?? type;
}

const isString = (type: string): boolean => type === "tensor(string)" || type.includes("(string");
const bits = (type: string): number | undefined =>
  dtypeByName(/^tensor\((\w+)\)$/.exec(type)?.[1] ?? "")?.bits;

/** `a` is seq(b). */
const wraps = (a: string | undefined, b: string | undefined): boolean => a === `seq(${b})`;

function subgraphIf(ctx: ProbeContext): Record<string, AttrValue> {
  const v = typeOfFormal(ctx, "outputs");
  ctx.addGraphInput("outer_v", v);
  // Runtimes reject a branch that returns an outer-scope value directly, so copy it with Identity,
  // or make an empty sequence where Identity does not take sequences yet (before opset 14).
  const seqElem = /^seq\(tensor\((\w+)\)\)$/.exec(v)?.[1];
  const identity = resolveSchema("", "Identity", ctx.schema.sinceVersion);
  if (!(seqElem && ctx.schema.sinceVersion < 14) && !identity?.typeConstraints[0].allowed.includes(v)) {
    // No ONNX op can hand this type to a branch output (Identity, SequenceConstruct, Optional all
    // reject it), so no valid model binds it and no probe can be built.
    throw new Error(`no op can produce ${v} inside an If branch at opset ${ctx.schema.sinceVersion}`);
  }
  const branch = (name: string): GraphProto =>
    seqElem && ctx.schema.sinceVersion < 14
      ? nodeGraph(name, "SequenceEmpty", [], v, { dtype: int(dtypeByName(seqElem)?.id ?? 1) })
      : nodeGraph(name, "Identity", ["outer_v"], v, {});
  return { then_branch: graph(branch("then")), else_branch: graph(branch("else")) };
}

function subgraphLoop(ctx: ProbeContext): Record<string, AttrValue> {
  const v = typeOfFormal(ctx, "v_initial");
  const body = passThroughGraph(
    "body",
    [
      { name: "iter", type: "tensor(int64)" },
      { name: "cond_in", type: "tensor(bool)" },
      { name: "v_in", type: v },
    ],
    [
      { type: "tensor(bool)", from: "cond_in" },
      { type: v, from: "v_in" },
    ],
  );
  return { body: graph(body) };
}

/** Labels of a two-class classifier whose label type is `t`, under the attribute names `ints`/`strings`. */
function classLabels(t: string, intsName: string, stringsName: string): Record<string, AttrValue> {
  return isString(t) ? { [stringsName]: strs(["a", "b"]) } : { [intsName]: ints([0, 1]) };
}

/** Key/value attributes of LabelEncoder-2+: *_strings, *_int64s, *_floats, or *_tensor for other types. */
function labelEncoderSide(prefix: "keys" | "values" | "default", t: string): Record<string, AttrValue> {
  const n = prefix === "default" ? 1 : 2;
  const elem = /^tensor\((\w+)\)$/.exec(t)?.[1];
  if (prefix === "default") {
    if (elem === "string") return { default_string: str("_") };
    if (elem === "int64") return { default_int64: int(-1) };
    if (elem === "float") return { default_float: float(0) };
    return { default_tensor: tensor(smallTensor(t)) };
  }
  if (elem === "string") return { [`${prefix}_strings`]: strs(["a", "b"].slice(0, n)) };
  if (elem === "int64") return { [`${prefix}_int64s`]: ints([0, 1]) };
  if (elem === "float") return { [`${prefix}_floats`]: floats([0, 1]) };
  return { [`${prefix}_tensor`]: tensor(smallTensor(t, [n])) };
}

/** One tree, one leaf (TreeEnsembleRegressor/Classifier-1,3). */
const SINGLE_LEAF_TREE: Record<string, AttrValue> = {
  nodes_treeids: ints([0]),
  nodes_nodeids: ints([0]),
  nodes_featureids: ints([0]),
  nodes_values: floats([0]),
  nodes_modes: strs(["LEAF"]),
  nodes_truenodeids: ints([0]),
  nodes_falsenodeids: ints([0]),
  nodes_missing_value_tracks_true: ints([0]),
};

const RNN = { attributes: () => ({ hidden_size: int(1) }) };
/** Mean/inverse-std outputs have type U, which the runtime derives from stash_type. */
const STASHED: ProbeRecipe = {
  attributes: (ctx) => {
    const id = tensorElemId(ctx.binding.U);
    return id === undefined ? {} : { stash_type: int(id) };
  },
};
const FUSED_ACTIVATION: ProbeRecipe = { attributes: () => ({ activation: str("Relu") }) };

const RECIPES: Record<string, ProbeRecipe> = {
  If: { attributes: subgraphIf },
  Loop: { inputs: ["M", "cond"], attributes: subgraphLoop },
  Scan: {
    attributes: (ctx) => {
      const v = typeOfFormal(ctx, "initial_state_and_scan_inputs");
      const body = passThroughGraph("body", [{ name: "s_in", type: v }], [{ type: v, from: "s_in" }]);
      return { body: graph(body), num_scan_inputs: int(1) };
    },
  },
  SequenceMap: {
    attributes: (ctx) => {
      const e = unwrap(typeOfFormal(ctx, "input_sequence"));
      // Sequence additional inputs reach the body one element at a time, tensors whole.
      const v = /^seq\(/.test(typeOfFormal(ctx, "additional_inputs"))
        ? unwrap(typeOfFormal(ctx, "additional_inputs"))
        : typeOfFormal(ctx, "additional_inputs");
      const body = passThroughGraph(
        "body",
        [
          { name: "e_in", type: e },
          { name: "a_in", type: v },
        ],
        [{ type: e, from: "e_in" }],
      );
      return { body: graph(body) };
    },
  },
  Constant: { attributes: (ctx) => ({ value: tensor(smallTensor(typeOfFormal(ctx, "output"))) }) },
  ConstantOfShape: { attributes: (ctx) => ({ value: tensor(smallTensor(typeOfFormal(ctx, "output"))) }) },
  Cast: {
    attributes: (ctx) => {
      const to = typeOfFormal(ctx, "output");
      const decl = ctx.schema.attributes.find((a) => a.name === "to");
      const id = tensorElemId(to);
      if (decl?.type === "string")
        return { to: str((/^tensor\((\w+)\)$/.exec(to)?.[1] ?? "float").toUpperCase()) };
      return id === undefined ? {} : { to: int(id) };
    },
  },
  BitCast: { validTuple: (b) => bits(b.T1) === bits(b.T2) },
  Einsum: { attributes: () => ({ equation: str("ij->ji") }) },
  BitShift: { attributes: () => ({ direction: str("LEFT") }) },
  DepthToSpace: { attributes: () => ({ blocksize: int(2) }) },
  SpaceToDepth: { attributes: () => ({ blocksize: int(2) }) },
  AveragePool: { attributes: () => ({ kernel_shape: ints([1, 1]) }) },
  MaxPool: { attributes: () => ({ kernel_shape: ints([1, 1]) }) },
  LpPool: { attributes: () => ({ kernel_shape: ints([1, 1]) }) },
  MaxUnpool: { attributes: () => ({ kernel_shape: ints([1, 1]) }) },
  MaxRoiPool: { attributes: () => ({ pooled_shape: ints([1, 1]) }) },
  Pad: { attributes: () => ({ pads: ints([0, 0, 0, 0]), paddings: ints([0, 0, 0, 0]) }) },
  Reshape: { attributes: () => ({ shape: ints([1]) }) },
  Upsample: {
    attributes: () => ({ scales: floats([1, 1, 2, 2]), height_scale: float(2), width_scale: float(2) }),
  },
  GRU: RNN,
  LSTM: RNN,
  RNN: RNN,
  RegexFullMatch: { attributes: () => ({ pattern: str("a") }) },
  LayerNormalization: STASHED,
  SimplifiedLayerNormalization: STASHED,
  TfIdfVectorizer: {
    attributes: () => ({
      mode: str("TF"),
      min_gram_length: int(1),
      max_gram_length: int(1),
      max_skip_count: int(0),
      ngram_counts: ints([0]),
      ngram_indexes: ints([0]),
      pool_int64s: ints([1]),
    }),
  },
  SequenceAt: { validTuple: (b) => wraps(b.S, b.T) },
  SequenceInsert: { validTuple: (b) => wraps(b.S, b.T) },
  SequenceConstruct: { validTuple: (b) => wraps(b.S, b.T) },
  ConcatFromSequence: { validTuple: (b) => wraps(b.S, b.T) },
  SplitToSequence: { validTuple: (b) => wraps(b.S, b.T) },
  Optional: { validTuple: (b) => b.O === `optional(${b.V})` },
  OptionalGetElement: { validTuple: (b) => b.O === `optional(${b.V})` || b.O === b.V },
  Momentum: {
    attributes: () => ({
      mode: str("standard"),
      alpha: float(0.9),
      beta: float(1),
      norm_coefficient: float(0),
    }),
  },
  Gradient: { attributes: () => ({ xs: strs(["in0"]), y: str("out0") }) },

  // com.microsoft: (Y_scale, Y_zero_point, then X, X_scale, X_zero_point per input).
  QLinearConcat: {
    validTuple: (b) => b.TV === b.T8,
    variadicInputs: 3,
    variadicInputTypes: (ctx) => [ctx.binding.T8, "tensor(float)", ctx.binding.T8],
  },

  DynamicQuantizeLSTM: RNN,
  EmbedLayerNormalization: { outputs: ["mask_index"] },
  FusedConv: FUSED_ACTIVATION,
  FusedGemm: FUSED_ACTIVATION,
  NhwcFusedConv: FUSED_ACTIVATION,
  MatMulNBits: { attributes: () => ({ K: int(16), N: int(1), bits: int(4), block_size: int(16) }) },
  // Without y_scale/y_zero_point QGemm outputs float; with them, the zero point's type.
  QGemm: {
    validTuple: (b) => b.TY === "tensor(float)" || b.TY === b.TYZ,
    dropInputs: (b) => (b.TY === "tensor(float)" ? ["y_scale", "y_zero_point"] : []),
  },

  // ai.onnx.ml: kernel constructors validate their attributes, so give each a tiny consistent model.
  CastMap: {
    attributes: (ctx) => {
      const to = typeOfFormal(ctx, "Y");
      return { cast_to: str(isString(to) ? "TO_STRING" : to === "tensor(int64)" ? "TO_INT64" : "TO_FLOAT") };
    },
  },
  CategoryMapper: {
    validTuple: (b) => b.T1 !== b.T2,
    attributes: () => ({ cats_int64s: ints([0]), cats_strings: strs(["a"]) }),
  },
  DictVectorizer: {
    validTuple: (b) => /, (\w+)\)$/.exec(b.T1)?.[1] === /^tensor\((\w+)\)$/.exec(b.T2)?.[1],
    attributes: (ctx) =>
      /^map\(string/.test(typeOfFormal(ctx, "X"))
        ? { string_vocabulary: strs(["a"]) }
        : { int64_vocabulary: ints([0]) },
  },
  FeatureVectorizer: { attributes: () => ({ inputdimensions: ints([1]) }) },
  Imputer: {
    attributes: (ctx) =>
      /int/.test(typeOfFormal(ctx, "X"))
        ? { imputed_value_int64s: ints([0]), replaced_value_int64: int(-1) }
        : { imputed_value_floats: floats([0]), replaced_value_float: float(-1) },
  },
  LabelEncoder: {
    validTuple: (b, schema) => schema.sinceVersion > 1 || b.T1 !== b.T2,
    attributes: (ctx) => {
      const t1 = typeOfFormal(ctx, "X");
      const t2 = typeOfFormal(ctx, "Y");
      if (ctx.schema.sinceVersion === 1) {
        return {
          classes_strings: strs(["a"]),
          ...(isString(t2) ? { default_string: str("_") } : { default_int64: int(-1) }),
        };
      }
      return {
        ...labelEncoderSide("keys", t1),
        ...labelEncoderSide("values", t2),
        ...labelEncoderSide("default", t2),
      };
    },
  },
  LinearClassifier: {
    attributes: (ctx) => ({
      coefficients: floats([1, 1]),
      intercepts: floats([0, 0]),
      ...classLabels(typeOfFormal(ctx, "Y"), "classlabels_ints", "classlabels_strings"),
    }),
  },
  LinearRegressor: {
    attributes: () => ({ coefficients: floats([1]), intercepts: floats([0]), targets: int(1) }),
  },
  OneHotEncoder: {
    attributes: (ctx) =>
      isString(typeOfFormal(ctx, "X")) ? { cats_strings: strs(["a"]) } : { cats_int64s: ints([0]) },
  },
  Scaler: { attributes: () => ({ scale: floats([1]), offset: floats([0]) }) },
  SVMClassifier: {
    attributes: (ctx) => ({
      kernel_type: str("LINEAR"),
      kernel_params: floats([0, 0, 0]),
      coefficients: floats([1, 1]),
      rho: floats([0]),
      ...classLabels(typeOfFormal(ctx, "Y"), "classlabels_ints", "classlabels_strings"),
    }),
  },
  SVMRegressor: {
    attributes: () => ({
      kernel_type: str("LINEAR"),
      kernel_params: floats([0, 0, 0]),
      coefficients: floats([1]),
      rho: floats([0]),
      n_supports: int(0),
    }),
  },
  TreeEnsembleRegressor: {
    attributes: () => ({
      ...SINGLE_LEAF_TREE,
      n_targets: int(1),
      target_ids: ints([0]),
      target_nodeids: ints([0]),
      target_treeids: ints([0]),
      target_weights: floats([1]),
    }),
  },
  TreeEnsembleClassifier: {
    attributes: (ctx) => ({
      ...SINGLE_LEAF_TREE,
      class_ids: ints([0]),
      class_nodeids: ints([0]),
      class_treeids: ints([0]),
      class_weights: floats([1]),
      ...classLabels(typeOfFormal(ctx, "Y"), "classlabels_int64s", "classlabels_strings"),
    }),
  },
  TreeEnsemble: {
    attributes: (ctx) => {
      const t = typeOfFormal(ctx, "X");
      const modes = smallTensor("tensor(uint8)");
      return {
        tree_roots: ints([0]),
        nodes_featureids: ints([0]),
        nodes_splits: tensor(smallTensor(t)),
        nodes_modes: tensor(modes),
        nodes_truenodeids: ints([0]),
        nodes_trueleafs: ints([1]),
        nodes_falsenodeids: ints([1]),
        nodes_falseleafs: ints([1]),
        leaf_targetids: ints([0, 0]),
        leaf_weights: tensor(smallTensor(t, [2])),
        n_targets: int(1),
      };
    },
  },
  ZipMap: {
    attributes: (ctx) =>
      /map\(string/.test(typeOfFormal(ctx, "Z"))
        ? { classlabels_strings: strs(["a"]) }
        : { classlabels_int64s: ints([0]) },
  },
};

export function recipeFor(schema: OpSchema): ProbeRecipe {
  return RECIPES[schema.name] ?? {};
}
