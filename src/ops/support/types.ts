/**
 * What a target runtime can run. One implementation per target (ort-cpu probed from the installed
 * onnxruntime-node; ort-cuda and tfjs declared), behind the same query.
 */

import type { ModelProto } from "../../onnx/proto.js";

/** One problem a whole-model check found, on a main-graph node (name or "#index") or the graph. */
export interface ModelCheckProblem {
  node?: string;
  opType?: string;
  reason: string;
  hint?: string;
}

/** A node attribute's value, decoded (int, float, string, ints, floats, strings attributes only). */
export type AttributeValue = number | string | number[] | string[];

export interface SupportQuery {
  /** Normalized domain: "" for ai.onnx. */
  domain: string;
  opType: string;
  /** since_version of the schema the node resolves to (for ops mlpack has a schema for). */
  sinceVersion: number | undefined;
  /** The model's opset for this domain. */
  opsetVersion: number;
  /**
   * Element types bound to each type parameter, as spec type strings ("tensor(float)"),
   * or undefined where inference could not tell.
   */
  types: Record<string, string | undefined>;
  /**
   * The node's scalar and list attributes as written in the model (defaults are not filled in);
   * tensor, graph and referenced attributes are left out. Omitted: no attribute checks.
   */
  attributes?: Record<string, AttributeValue>;
}

/** Something that may still stop the model on some hosts, though the runtime has the kernel. */
export interface SupportCaveat {
  reason: string;
  hint?: string;
}

export type SupportAnswer =
  { supported: true; warning?: SupportCaveat } | { supported: false; reason: string; hint?: string };

export interface TargetSupport {
  id: string;
  /** One line for `validate` output: what runtime, which version, how the table was made. */
  description: string;
  /** Highest opset the runtime accepts for a domain; undefined = domain unknown to the runtime. */
  maxOpset(domain: string): number | undefined;
  maxIrVersion: number;
  check(q: SupportQuery): SupportAnswer;
  /**
   * Whether the runtime's API can pass a main-graph input or output of `type` (a spec type string)
   * to or from the caller. Omitted: every type can.
   */
  checkGraphIo?(kind: "input" | "output", name: string, type: string): SupportAnswer;
  /**
   * A converter's own dry run over the whole model: when present, it replaces the per-node `check`
   * and `checkGraphIo` so validate gives exactly the converter's verdict (shapes, broadcasting and
   * constant parameters are only known while walking the graph).
   */
  checkModel?(proto: ModelProto): ModelCheckProblem[];
}
