/**
 * onnxruntime contrib ops that its quantizer and transformer optimizer write into models.
 *
 * Declared by hand: there is no spec file for them in fixtures/onnx-spec. The rows follow
 * onnxruntime's docs/ContribOperators.md (main branch): names, arity, optional/variadic flags,
 * required attributes and type constraints. That document prints no attribute defaults, so a
 * default appears here only where its prose states one. Contrib schemas drift between onnxruntime
 * releases (inputs get appended, e.g. GroupQueryAttention), so rows describe the newest schema;
 * older models use a prefix of the inputs, which the optional flags allow.
 * `allowed: []` in a type constraint means "any type": used where we are not sure of the list.
 */
import type { AttrSchema, AttrType, FormalParam, OpSchema } from "./types.js";

const MS = "com.microsoft";
const INF = Number.MAX_SAFE_INTEGER;

const t = (...elems: string[]): string[] => elems.map((e) => `tensor(${e})`);
const F16_F32 = t("float16", "float");
const FLOATS = t("float16", "float", "double", "bfloat16");
const F32_F16_BF16 = t("float", "float16", "bfloat16");
const Q8 = t("uint8", "int8");
const CONV_ATTRS = {
  auto_pad: "string",
  dilations: "ints",
  group: "int",
  kernel_shape: "ints",
  pads: "ints",
  strides: "ints",
} as const satisfies Record<string, AttrSpec>;

/** "int" | "int!" (required) | ["int", default]. */
type AttrSpec = AttrType | `${AttrType}!` | readonly [AttrType, NonNullable<AttrSchema["default"]>];

interface ContribOp {
  name: string;
  domain?: string;
  /** "name: T", "name?: T" (optional), "name*: T" (variadic), "name*~: T" (variadic, heterogeneous). */
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, AttrSpec>;
  types?: Record<string, string[]>;
  /** Only where a variadic param may be empty (ONNX's min arity 0). */
  minInputs?: number;
}

function param(spec: string): FormalParam {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(\?|\*~?)?: (\S+)$/.exec(spec);
  if (!m) throw new Error(`contrib-ms: bad param spec "${spec}"`);
  const [, name, flag, type] = m;
  const option = flag === "?" ? "optional" : flag ? "variadic" : "single";
  return { name, type, option, homogeneous: flag !== "*~" };
}

/** ONNX's rule: min = position of the last single param (+1 for a trailing variadic), max = count or ∞. */
function arity(params: FormalParam[]): [number, number] {
  let min = 0;
  let max = 0;
  for (const p of params) {
    max++;
    if (p.option === "single") min = max;
    if (p.option === "variadic") return [max, INF];
  }
  return [min, max];
}

function attr(name: string, spec: AttrSpec): AttrSchema {
  if (typeof spec !== "string") return { name, type: spec[0], required: false, default: spec[1] };
  const required = spec.endsWith("!");
  return { name, type: (required ? spec.slice(0, -1) : spec) as AttrType, required };
}

function schema(op: ContribOp): OpSchema {
  const inputs = op.inputs.map(param);
  const outputs = op.outputs.map(param);
  const [minIn, maxIn] = arity(inputs);
  const [minOut, maxOut] = arity(outputs);
  return {
    domain: op.domain ?? MS,
    name: op.name,
    sinceVersion: 1,
    deprecated: false,
    inputs,
    outputs,
    minInputs: op.minInputs ?? minIn,
    maxInputs: maxIn,
    minOutputs: minOut,
    maxOutputs: maxOut,
    attributes: Object.entries(op.attrs ?? {}).map(([name, spec]) => attr(name, spec)),
    typeConstraints: Object.entries(op.types ?? {}).map(([p, allowed]) => ({ param: p, allowed })),
  };
}

const ATTENTION_TYPES = { T: F32_F16_BF16, M: t("int32") };
const QUNARY_INPUTS = [
  "X: T",
  "X_scale: tensor(float)",
  "X_zero_point?: T",
  "Y_scale: tensor(float)",
  "Y_zero_point?: T",
];
const QBINARY_INPUTS = [
  "A: T",
  "A_scale: tensor(float)",
  "A_zero_point?: T",
  "B: T",
  "B_scale: tensor(float)",
  "B_zero_point?: T",
  "C_scale: tensor(float)",
  "C_zero_point?: T",
];
const SKIP_NORM_OUTPUTS = ["output: T", "mean?: U", "inv_std_var?: U", "input_skip_bias_sum?: T"];

// One row per line reads as a table; prettier would explode each into a dozen lines.
// prettier-ignore
const OPS: ContribOp[] = [
  // --- quantization (onnxruntime.quantization: dynamic and QOperator formats) ---
  { name: "DequantizeLinear", attrs: { axis: "int" }, inputs: ["x: T1", "x_scale: T2", "x_zero_point?: T1"], outputs: ["y: T2"], types: { T1: t("int8", "uint8", "int16", "uint16", "int32", "int4", "uint4"), T2: F16_F32 } },
  { name: "QuantizeLinear", attrs: { axis: "int" }, inputs: ["x: T1", "y_scale: T1", "y_zero_point?: T2"], outputs: ["y: T2"], types: { T1: F16_F32, T2: t("int8", "uint8", "int16", "uint16", "int4", "uint4") } },
  { name: "DynamicQuantizeMatMul", inputs: ["A: T1", "B: T2", "b_scale: T1", "b_zero_point?: T2", "bias?: T1"], outputs: ["Y: T1"], types: { T1: t("float"), T2: t("int8", "uint8") } },
  { name: "MatMulIntegerToFloat", inputs: ["A: T1", "B: T2", "a_scale: T3", "b_scale: T3", "a_zero_point?: T1", "b_zero_point?: T2", "bias?: T3"], outputs: ["Y: T3"], types: { T1: t("int8", "uint8"), T2: t("int8", "uint8"), T3: t("float", "float16") } },
  { name: "MatMulInteger16", inputs: ["A: T1", "B: T2"], outputs: ["Y: T3"], types: { T1: t("int16", "uint16"), T2: t("int16", "uint16"), T3: t("int32", "uint32") } },
  { name: "MulInteger", inputs: ["A: T", "A_zero_point?: T", "B: T", "B_zero_point?: T"], outputs: ["C: T1"], types: { T: Q8, T1: t("int32") } },
  { name: "ReduceSumInteger", attrs: { axes: "ints!", keepdims: "int!" }, inputs: ["data: T1"], outputs: ["reduced: T2"], types: { T1: t("int8", "uint8"), T2: t("int32", "uint32") } },
  { name: "DynamicQuantizeLSTM", attrs: { activation_alpha: "floats", activation_beta: "floats", activations: "strings", clip: "float", direction: "string", hidden_size: "int", input_forget: "int" }, inputs: ["X: T", "W: T2", "R: T2", "B?: T", "sequence_lens?: T1", "initial_h?: T", "initial_c?: T", "P?: T", "W_scale: T", "W_zero_point: T2", "R_scale: T", "R_zero_point: T2"], outputs: ["Y?: T", "Y_h?: T", "Y_c?: T"], types: { T: t("float"), T1: t("int32"), T2: t("uint8", "int8") } },
  { name: "QAttention", attrs: { do_rotary: ["int", 0], mask_filter_value: ["float", -10000], num_heads: "int!", past_present_share_buffer: "int", scale: "float", unidirectional: ["int", 0] }, inputs: ["input: T1", "weight: T2", "bias: T3", "input_scale: T3", "weight_scale: T3", "mask_index?: T4", "input_zero_point?: T1", "weight_zero_point?: T2", "past?: T3"], outputs: ["output: T3", "present?: T3"], types: { T1: t("int8", "uint8"), T2: t("int8", "uint8"), T3: t("float", "float16"), T4: t("int32") } },
  { name: "QGemm", attrs: { alpha: "float", transA: "int", transB: "int" }, inputs: ["A: TA", "a_scale: T", "a_zero_point: TA", "B: TB", "b_scale: T", "b_zero_point: TB", "C?: TC", "y_scale?: T", "y_zero_point?: TYZ"], outputs: ["Y: TY"], types: { T: t("float"), TA: Q8, TB: Q8, TC: t("int32"), TYZ: Q8, TY: t("float", "uint8", "int8") } },
  { name: "QLinearAdd", inputs: QBINARY_INPUTS, outputs: ["C: T"], types: { T: Q8 } },
  { name: "QLinearMul", inputs: QBINARY_INPUTS, outputs: ["C: T"], types: { T: Q8 } },
  { name: "QLinearSigmoid", inputs: QUNARY_INPUTS, outputs: ["Y: T"], types: { T: Q8 } },
  { name: "QLinearLeakyRelu", attrs: { alpha: "float" }, inputs: QUNARY_INPUTS, outputs: ["Y: T"], types: { T: Q8 } },
  { name: "QLinearAveragePool", attrs: { auto_pad: "string", ceil_mode: "int", channels_last: "int", count_include_pad: "int", kernel_shape: "ints!", pads: "ints", strides: "ints" }, inputs: ["X: T", "x_scale: tensor(float)", "x_zero_point?: T", "y_scale: tensor(float)", "y_zero_point?: T"], outputs: ["Y: T"], types: { T: Q8 } },
  { name: "QLinearGlobalAveragePool", attrs: { channels_last: "int" }, inputs: ["X: T", "x_scale: tensor(float)", "x_zero_point: T", "y_scale: tensor(float)", "y_zero_point: T"], outputs: ["Y: T"], types: { T: Q8 } },
  { name: "QLinearConcat", attrs: { axis: "int!" }, inputs: ["Y_scale: TF", "Y_zero_point: T8", "inputs*~: TV"], outputs: ["Y: T8"], types: { T8: Q8, TF: t("float"), TV: t("uint8", "int8", "float") } },
  { name: "QLinearSoftmax", attrs: { axis: "int", opset: "int!" }, inputs: ["X: T", "X_scale: tensor(float)", "x_zero_point?: T", "y_scale: tensor(float)", "y_zero_point: T"], outputs: ["Y: T"], types: { T: Q8 } },
  { name: "QLinearWhere", inputs: ["condition: B", "X: T", "x_scale: TF", "x_zero_point: T", "Y: T", "y_scale: TF", "y_zero_point: T", "z_scale: TF", "z_zero_point: T"], outputs: ["Z: T"], types: { B: t("bool"), TF: t("float"), T: Q8 } },
  { name: "QLinearReduceMean", attrs: { axes: "ints!", keepdims: "int!" }, inputs: ["data: T", "data_scale: tensor(float)", "data_zero_point?: T", "reduced_scale: tensor(float)", "reduced_zero_point?: T"], outputs: ["reduced: T"], types: { T: Q8 } },
  // The NHWC variant the layout transformer writes; the NCHW QLinearConv is ai.onnx.
  { name: "QLinearConv", attrs: { ...CONV_ATTRS, channels_last: "int" }, inputs: ["x: T1", "x_scale: tensor(float)", "x_zero_point: T1", "w: T2", "w_scale: tensor(float)", "w_zero_point: T2", "y_scale: tensor(float)", "y_zero_point: T3", "B?: T4"], outputs: ["y: T3"], types: { T1: Q8, T2: Q8, T3: Q8, T4: t("int32") } },
  { name: "MatMulNBits", attrs: { K: "int!", N: "int!", accuracy_level: ["int", 0], bits: "int", block_size: "int!", weight_prepacked: "int" }, inputs: ["A: T1", "B: T2", "scales: T1", "zero_points?: T3", "g_idx?: T4", "bias?: T1"], outputs: ["Y: T1"], types: { T1: F32_F16_BF16, T2: t("uint8"), T3: t("uint8", "float16", "float", "bfloat16"), T4: t("int32") } },
  { name: "GatherBlockQuantized", attrs: { bits: "int", block_size: "int", gather_axis: "int", quantize_axis: "int" }, inputs: ["data: T1", "indices: Tind", "scales: T2", "zero_points?: T1"], outputs: ["output: T2"], types: { T1: t("int4", "uint4", "uint8", "float8e4m3fn", "float8e4m3fnuz", "float8e5m2", "float8e5m2fnuz", "float4e2m1"), T2: F32_F16_BF16, Tind: t("int32", "int64") } },

  // --- graph optimizer fusions (session-level optimization, onnxruntime.transformers) ---
  { name: "FusedConv", attrs: { activation: "string", activation_params: "floats", ...CONV_ATTRS }, inputs: ["X: T", "W: T", "B?: T", "Z?: T"], outputs: ["Y: T"], types: { T: t("float16", "float", "double") } },
  { name: "FusedGemm", attrs: { activation: "string", activation_alpha: "float", activation_beta: "float", activation_gamma: "float", alpha: "float", beta: "float", transA: "int", transB: "int" }, inputs: ["A: T", "B: T", "C?: T"], outputs: ["Y: T"], types: { T: t("float16", "float", "double", "uint32", "uint64", "int32", "int64") } },
  { name: "FusedMatMul", attrs: { alpha: "float", transA: "int", transB: "int", transBatchA: "int", transBatchB: "int" }, inputs: ["A: T", "B: T"], outputs: ["Y: T"], types: { T: FLOATS } },
  { name: "NhwcConv", attrs: CONV_ATTRS, inputs: ["X: T", "W: T", "B?: T"], outputs: ["Y: T"], types: { T: t("float16", "float", "double") } },
  { name: "NhwcFusedConv", attrs: { activation: "string", activation_params: "floats", ...CONV_ATTRS }, inputs: ["X: T", "W: T", "B?: T", "Z?: T"], outputs: ["Y: T"], types: { T: F16_F32 } },
  { name: "NhwcMaxPool", attrs: { auto_pad: "string", ceil_mode: "int", dilations: "ints", kernel_shape: "ints!", pads: "ints", strides: "ints" }, inputs: ["x: T"], outputs: ["y: T"], types: { T: t("int8", "uint8") } },
  { name: "Gelu", inputs: ["X: T"], outputs: ["Y: T"], types: { T: FLOATS } },
  { name: "FastGelu", inputs: ["X: T", "bias?: T"], outputs: ["Y: T"], types: { T: t("float", "double", "float16", "bfloat16") } },
  { name: "BiasGelu", inputs: ["A: T", "B: T"], outputs: ["C: T"], types: { T: FLOATS } },
  { name: "QuickGelu", attrs: { alpha: "float" }, inputs: ["X: T"], outputs: ["Y: T"], types: { T: FLOATS } },
  { name: "GemmFastGelu", inputs: ["X: T", "W: T", "bias?: T"], outputs: ["Y: T"], types: { T: F32_F16_BF16 } },
  { name: "BiasAdd", inputs: ["X: T", "bias: T", "skip: T"], outputs: ["Y: T"], types: { T: F16_F32 } },
  { name: "BiasSoftmax", attrs: { axis: "int", is_inner_broadcast: "int!" }, inputs: ["data: T", "bias: T"], outputs: ["output: T"], types: { T: t("float16", "float", "double") } },
  { name: "BiasSplitGelu", inputs: ["X: T", "bias: T"], outputs: ["Y: T"], types: { T: F16_F32 } },
  { name: "GroupNorm", attrs: { activation: "int!", channels_last: "int", epsilon: "float", groups: "int!" }, inputs: ["X: T", "gamma: M", "beta: M"], outputs: ["Y: T"], types: { T: F16_F32, M: F16_F32 } },
  { name: "SkipGroupNorm", attrs: { activation: "int!", channels_last: "int", epsilon: "float", groups: "int!" }, inputs: ["X: T", "gamma: M", "beta: M", "skip: T", "bias?: T"], outputs: ["Y: T", "S?: T"], types: { T: F16_F32, M: F16_F32 } },
  { name: "SkipLayerNormalization", attrs: { epsilon: "float" }, inputs: ["input: T", "skip: T", "gamma: T", "beta?: T", "bias?: T"], outputs: SKIP_NORM_OUTPUTS, types: { T: F32_F16_BF16, U: t("float") } },
  { name: "SkipSimplifiedLayerNormalization", attrs: { epsilon: "float" }, inputs: ["input: T", "skip: T", "gamma: T", "bias?: T"], outputs: SKIP_NORM_OUTPUTS, types: { T: F32_F16_BF16, U: t("float") } },
  { name: "EmbedLayerNormalization", attrs: { epsilon: "float", mask_index_type: "int" }, inputs: ["input_ids: T1", "segment_ids?: T1", "word_embedding: T", "position_embedding: T", "segment_embedding?: T", "gamma: T", "beta: T", "mask?: T1", "position_ids?: T1"], outputs: ["output: T", "mask_index?: T1", "embedding_sum?: T"], types: { T1: t("int32"), T: t("float", "float16") } },
  { name: "Attention", attrs: { do_rotary: ["int", 0], mask_filter_value: ["float", -10000], num_heads: "int!", past_present_share_buffer: "int", qkv_hidden_sizes: "ints", rotary_embedding_dim: "int", scale: "float", unidirectional: ["int", 0] }, inputs: ["input: T", "weights: T", "bias?: T", "mask_index?: M", "past?: T", "attention_bias?: T", "past_sequence_length?: M"], outputs: ["output: T", "present?: T"], types: ATTENTION_TYPES },
  { name: "MultiHeadAttention", attrs: { mask_filter_value: ["float", -10000], num_heads: "int!", scale: "float", unidirectional: ["int", 0] }, inputs: ["query: T", "key?: T", "value?: T", "bias?: T", "key_padding_mask?: M", "attention_bias?: T", "past_key?: T", "past_value?: T", "past_sequence_length?: M", "cache_indirection?: M"], outputs: ["output: T", "present_key?: T", "present_value?: T", "qk?: QK"], types: { ...ATTENTION_TYPES, QK: F32_F16_BF16 } },
  { name: "GroupQueryAttention", attrs: { causal: "int", do_rotary: ["int", 0], k_quant_type: "string", kv_cache_bit_width: "int", kv_num_heads: "int!", local_window_size: ["int", -1], num_heads: "int!", qk_norm_epsilon: "float", qk_output: ["int", 0], rotary_interleaved: ["int", 0], scale: "float", sliding_window_cache: ["int", 0], smooth_softmax: "int", softcap: ["float", 0], v_quant_type: "string" }, inputs: ["query: T", "key?: T", "value?: T", "past_key?: T_CACHE", "past_value?: T_CACHE", "seqlens_k: M", "total_sequence_length: M", "cos_cache?: T", "sin_cache?: T", "position_ids?: tensor(int64)", "attention_bias?: T", "head_sink?: T", "k_scale?: T_KV_SCALE", "v_scale?: T_KV_SCALE", "q_norm_weight?: T", "k_norm_weight?: T"], outputs: ["output: T", "present_key?: T_CACHE", "present_value?: T_CACHE", "output_qk?: T"], types: { T: t("float16", "bfloat16", "float"), T_CACHE: t("float", "float16", "bfloat16", "uint8", "int8", "float8e4m3fn"), T_KV_SCALE: t("float"), M: t("int32") } },
  { name: "RotaryEmbedding", attrs: { interleaved: ["int", 0], is_packed_batching: ["int", 0], num_heads: ["int", 0], rotary_embedding_dim: ["int", 0], scale: ["float", 1] }, inputs: ["input: T", "position_ids: M", "cos_cache: T", "sin_cache: T"], outputs: ["output: T"], types: { T: F32_F16_BF16, M: t("int64") } },
  { name: "Range", inputs: ["start: T", "limit: T", "delta?: T"], outputs: ["Y: T"], types: { T: t("float", "double", "int16", "int32", "int64") } },
  { name: "Trilu", attrs: { upper: ["int", 1] }, inputs: ["X: T", "k?: tensor(int64)"], outputs: ["Y: T"], types: { T: [...FLOATS, ...t("uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64", "bool")] } },
  // Compiled-model container (QNN, OpenVINO, TensorRT EP contexts). The EP decides which types pass
  // through, so the constraint is left open.
  { name: "EPContext", attrs: { embed_mode: "int", ep_cache_context: "string", ep_sdk_version: "string", hardware_architecture: "string", main_context: "int", max_size: "int", notes: "string", onnx_model_filename: "string", partition_name: "string", source: "string" }, inputs: ["inputs*~: T"], outputs: ["outputs*~: T"], types: { T: [] }, minInputs: 0 },

  // --- onnxruntime contribs registered in the ai.onnx domain (its optimizer writes them with domain "") ---
  // LayerNormalization-1 predates ONNX's LayerNormalization-17; onnxruntime runs it at opsets 1-16.
  // Older releases bind X, scale and Y to one T; newer ones let scale/bias/Y differ from X (mixed
  // precision) and add stash_type. The rows take the permissive reading: separate V, all attributes.
  { name: "LayerNormalization", domain: "", attrs: { axis: ["int", -1], epsilon: ["float", 1e-5], stash_type: ["int", 1] }, inputs: ["X: T", "scale: V", "B?: V"], outputs: ["Y: V", "mean?: U", "inv_std_var?: U"], types: { T: FLOATS, U: t("float", "bfloat16"), V: FLOATS } },
  { name: "SimplifiedLayerNormalization", domain: "", attrs: { axis: ["int", -1], epsilon: ["float", 1e-5], stash_type: ["int", 1] }, inputs: ["X: T", "scale: V"], outputs: ["Y: V", "inv_std_var?: U"], types: { T: FLOATS, U: t("float", "bfloat16"), V: FLOATS } },
];

/** Rows in the com.microsoft domain. */
export const CONTRIB_MS_SCHEMAS: readonly OpSchema[] = OPS.filter((op) => (op.domain ?? MS) === MS).map(
  schema,
);

/** onnxruntime contribs that live in the ai.onnx domain (domain ""), not in the ONNX spec. */
export const ORT_ONNX_DOMAIN_SCHEMAS: readonly OpSchema[] = OPS.filter((op) => op.domain === "").map(schema);
