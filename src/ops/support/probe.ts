/**
 * Probing a runtime for kernels: which type tuples to try for an op schema, how to run one probe
 * (the session factory is passed in, so this module never loads a runtime itself), and how to read
 * the runtime's error: "no kernel" versus "the synthetic model was wrong".
 */
import { create, NodeProtoSchema } from "../../onnx/proto.js";
import type { OpSchema } from "../schema/types.js";
import { buildOpsetModel, buildProbeModel, PROBE_NODE, representativeType } from "./probe-model.js";
import { recipeFor } from "./probe-recipes.js";

export type ProbeStatus = "supported" | "unsupported" | "inconclusive";

export interface ProbeOutcome {
  status: ProbeStatus;
  /** Why, for unsupported and inconclusive outcomes: a short label and the runtime's first line. */
  reason?: string;
}

/** Creates (and disposes of) a session for the given model bytes; rejects with the runtime's error. */
export type SessionFactory = (bytes: Uint8Array) => Promise<void>;

/** Session options for probes: no graph rewrites (they could hide or replace the node), one thread. */
export const PROBE_SESSION_OPTIONS = {
  graphOptimizationLevel: "disabled",
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  logSeverityLevel: 4,
} as const;

interface OrtLike {
  InferenceSession: {
    create(bytes: Uint8Array, options: typeof PROBE_SESSION_OPTIONS): Promise<{ release(): Promise<void> }>;
  };
}

export function ortSessionFactory(ort: OrtLike): SessionFactory {
  return async (bytes) => {
    const session = await ort.InferenceSession.create(bytes, PROBE_SESSION_OPTIONS);
    await session.release();
  };
}

export interface TypeBindings {
  params: string[];
  tuples: string[][];
  /** False when the valid cross product exceeded the limit and one parameter varied at a time. */
  exhaustive: boolean;
}

/**
 * Tuples per op version up to which the whole (valid) cross product is probed. A probe costs well
 * under a millisecond, so this covers every op mlpack has a schema for, OneHot's 1815 triples the
 * largest. Sampling one parameter at a time is not enough where kernels are registered for sparse
 * combinations: OneHot has (int64, float, int32) but not (float, float, int32), so no single-axis
 * sample shows T3=int32 at all.
 */
export const PROBE_TUPLE_LIMIT = 2048;

/** Cross products past this size are not even enumerated. */
const ENUMERATION_CAP = 4096;

/**
 * Every valid tuple of the cross product of allowed types when there are at most `limit`; otherwise
 * each type parameter in turn over its allowed types with the others at their representative type
 * (tensor(float) where allowed), which includes the all-representative tuple.
 */
export function typeBindings(schema: OpSchema, limit = 64): TypeBindings {
  const params = schema.typeConstraints.map((c) => c.param);
  // An empty list means "any type" (declared contrib rows): probe the representative only.
  const open = schema.typeConstraints.some((c) => c.allowed.length === 0);
  const allowed = schema.typeConstraints.map((c) => (c.allowed.length > 0 ? c.allowed : ["tensor(float)"]));
  const recipe = recipeFor(schema);
  const valid = (t: string[]): boolean => {
    if (!recipe.validTuple) return true;
    const b: Record<string, string> = {};
    params.forEach((p, i) => (b[p] = t[i]));
    return recipe.validTuple(b, schema);
  };
  const product = allowed.reduce((n, a) => n * a.length, 1);
  if (product <= ENUMERATION_CAP) {
    let tuples: string[][] = [[]];
    for (const a of allowed) tuples = tuples.flatMap((t) => a.map((x) => [...t, x]));
    tuples = tuples.filter(valid);
    if (tuples.length <= limit) return { params, tuples, exhaustive: !open };
  }
  const rep = allowed.map(representativeType);
  const seen = new Set<string>();
  const tuples: string[][] = [];
  const add = (t: string[]): void => {
    const key = t.join("|");
    if (seen.has(key) || !valid(t)) return;
    seen.add(key);
    tuples.push(t);
  };
  add(rep);
  allowed.forEach((a, i) => a.forEach((x) => add(rep.map((r, j) => (j === i ? x : r)))));
  return { params, tuples, exhaustive: false };
}

/**
 * The schema whose formals a probe of `schema` uses. A deprecation marker (Upsample-10, Scatter-11)
 * has no formals of its own: probe it with the previous version's, stamped at the deprecating opset.
 */
export function probeSignature(schema: OpSchema, versions: readonly OpSchema[]): OpSchema {
  if (!schema.deprecated || schema.inputs.length > 0 || schema.outputs.length > 0) return schema;
  const withFormals = versions.filter((s) => s.inputs.length + s.outputs.length > 0);
  const previous = withFormals.filter((s) => s.sinceVersion < schema.sinceVersion).at(-1);
  // GroupNormalization-18 is marked deprecated in the spec with no earlier version: borrow the next.
  const donor = previous ?? withFormals.find((s) => s.sinceVersion > schema.sinceVersion);
  return donor ? { ...donor, sinceVersion: schema.sinceVersion, deprecated: true } : schema;
}

/** The probed node's name; an unnamed node comes from the runtime expanding the op's function body. */
const OURS = `(?:${PROBE_NODE})?`;

/** Errors that mean the runtime cannot run the probed node; [pattern, label]. */
const UNSUPPORTED: readonly [RegExp, string][] = [
  // No float16 kernel, so the runtime wraps the node in Casts to float, and the wrapped graph is
  // invalid (Cast-1 takes a string "to" before opset 6; some ops fix their output type).
  [/InsertedPrecisionFreeCast/, "no float16 kernel, and the runtime's float fallback fails here"],
  [new RegExp(`Could not find an implementation for \\S+ node with name '${OURS}'`), "no kernel"],
  [new RegExp(`Failed to find kernel for \\S+ \\(node:'${OURS}'`), "no kernel"],
  [/is not a registered function\/op/, "op not registered"],
  [/No Op registered for \S+ with domain_version of \d+/, "op version unknown to the runtime"],
  [/No opset import for domain/, "domain unknown to the runtime"],
  [/Unsupported model IR version/, "IR version too new"],
  [/Current official support for domain \S+ is till opset \d+/, "opset too new"],
  [/Op registered for \S+ is deprecated in domain_version of \d+/, "op deprecated at this opset"],
  [/Unsupported value attribute datatype/, "kernel rejects this type"],
  // The runtime's type inference derives another output type from these inputs: no model has them.
  [
    new RegExp(
      `Type \\(\\S+\\) of output arg \\(\\w+\\) of node \\(${PROBE_NODE}\\) does not match expected type`,
    ),
    "impossible type combination",
  ],
  [
    /EPContext node generated by .* is not compatible with any execution provider/,
    "compiled for another execution provider",
  ],
  // No float16 kernel: the float fallback keeps float16 attribute tensors, which the schema rejects.
  [
    /must have same type as input\. Input type is 1 and attribute type is 10/,
    "no float16 kernel; the float fallback rejects the float16 attributes",
  ],
  [/MLDataType for: \S+ is not currently registered or supported/, "type unknown to the runtime"],
  // The runtime's own (older) schema rejects a type the spec allows.
  [
    new RegExp(
      `Type '[^']+' of (?:input|output) parameter \\([^)]*\\) of operator \\([^)]*\\) in node \\(${PROBE_NODE}\\) is invalid`,
    ),
    "type not in the runtime's schema",
  ],
  // No kernel, so the runtime expanded the op's function body, and a node inside it (unnamed) fails.
  [/in node \(\)/, "no kernel; its function body cannot run"],
];

/**
 * Errors raised after the session was fully created, so every node found a kernel: onnxruntime-node
 * cannot hand graph inputs/outputs of some element types (bfloat16, float8) to JavaScript.
 */
const SUPPORTED_AFTER_INIT = /^Unsupported data type: \d+$/;

/**
 * Reads a session-creation error. Kernel-lookup failures for the probed node (or for the nodes of its
 * function body) mean "unsupported"; so does the runtime rejecting a type or opset. Anything else —
 * shape inference, attribute checks, kernel constructors, errors in scaffolding nodes — says the
 * synthetic model was wrong, not that the kernel is missing: "inconclusive".
 */
export function classifyProbeError(message: string): ProbeOutcome {
  const first = firstLine(message);
  if (SUPPORTED_AFTER_INIT.test(first)) return { status: "supported" };
  for (const [re, label] of UNSUPPORTED) {
    if (re.test(message)) return { status: "unsupported", reason: `${label}: ${first}` };
  }
  return { status: "inconclusive", reason: first };
}

/** First line without the runtime's source-location prefix, trimmed to a readable length. */
export function firstLine(message: string): string {
  const line = message.split("\n").find((l) => l.trim() !== "") ?? "";
  const stripped = line.replace(/^\/\S+:\d+ .*?\) /, "").replace(/^\[ONNXRuntimeError\] : \d+ : \w+ : /, "");
  return stripped.length > 300 ? `${stripped.slice(0, 297)}...` : stripped.trim();
}

export async function probeOne(
  createSession: SessionFactory,
  schema: OpSchema,
  params: readonly string[],
  tuple: readonly string[],
): Promise<ProbeOutcome> {
  const binding: Record<string, string> = {};
  params.forEach((p, i) => (binding[p] = tuple[i]));
  let bytes: Uint8Array;
  try {
    bytes = buildProbeModel(schema, binding);
  } catch (e) {
    return { status: "inconclusive", reason: `model builder: ${(e as Error).message}` };
  }
  try {
    await createSession(bytes);
    return { status: "supported" };
  } catch (e) {
    return classifyProbeError(e instanceof Error ? e.message : String(e));
  }
}

async function loads(createSession: SessionFactory, bytes: Uint8Array): Promise<boolean> {
  try {
    await createSession(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * Highest opset of `domain` the runtime loads, stamped on a model whose only node is an ai.onnx
 * Identity (or `node` when given); undefined when no version in 1..`ceiling` loads or every one does
 * (the runtime does not check that domain's version).
 */
export async function probeMaxOpset(
  createSession: SessionFactory,
  domain: string,
  ceiling = 64,
): Promise<number | undefined> {
  const identity = create(NodeProtoSchema, { name: "id", opType: "Identity", input: ["x"], output: ["y"] });
  let max: number | undefined;
  for (let v = 1; v <= ceiling; v++) {
    if (await loads(createSession, buildOpsetModel(domain, v, 8, identity))) max = v;
  }
  return max === ceiling ? undefined : max;
}

/** Highest IR version the runtime loads (a model with one Identity at ai.onnx opset 13). */
export async function probeMaxIrVersion(createSession: SessionFactory, ceiling = 64): Promise<number> {
  const identity = create(NodeProtoSchema, { name: "id", opType: "Identity", input: ["x"], output: ["y"] });
  let max = 0;
  for (let ir = 1; ir <= ceiling; ir++) {
    if (await loads(createSession, buildOpsetModel("", 13, ir, identity))) max = ir;
  }
  return max;
}
