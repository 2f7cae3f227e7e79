/**
 * What a target runtime can run. One implementation per target (ort-cpu probed from the installed
 * onnxruntime-node; ort-cuda and tfjs declared), behind the same query.
 */

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
}

export type SupportAnswer = { supported: true } | { supported: false; reason: string; hint?: string };

export interface TargetSupport {
  id: string;
  /** One line for `validate` output: what runtime, which version, how the table was made. */
  description: string;
  /** Highest opset the runtime accepts for a domain; undefined = domain unknown to the runtime. */
  maxOpset(domain: string): number | undefined;
  maxIrVersion: number;
  check(q: SupportQuery): SupportAnswer;
}
