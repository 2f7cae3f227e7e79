/** What the server needs to know about a model: its inputs and outputs as OIP tensors, and whether
 * requests can be batched along dim 0. Read from the ModelProto (symbolic dims keep their names). */
import { UserError } from "../errors.js";
import type { ModelProto, ValueInfoProto } from "../onnx/proto.js";
import { dtypeName } from "../onnx/dtypes.js";
import { datatypeFromOnnx, type OipDatatype } from "./datatypes.js";
import type { ModelSpec } from "./options.js";

/** A fixed size, a symbolic name, or null for an unnamed unknown dim. */
export type Dim = number | string | null;

export interface TensorSpec {
  name: string;
  datatype: OipDatatype;
  /** null when the model does not declare a rank. */
  shape: Dim[] | null;
}

export interface ModelInfo extends ModelSpec {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  /** Every input and output has a variable dim 0 that is the same batch dim. */
  batchable: boolean;
}

export function modelInfoFromProto(proto: ModelProto, spec: ModelSpec): ModelInfo {
  const g = proto.graph!;
  // Graph inputs that have an initializer are optional overrides of weights, not request inputs.
  const inits = new Set(g.initializer.map((t) => t.name));
  const inputs = g.input.filter((v) => !inits.has(v.name)).map((v) => tensorSpec(v, spec, "input"));
  const outputs = g.output.map((v) => tensorSpec(v, spec, "output"));
  return { ...spec, inputs, outputs, batchable: isBatchable(inputs, outputs) };
}

function tensorSpec(v: ValueInfoProto, spec: ModelSpec, kind: string): TensorSpec {
  const t = v.type?.value;
  if (t?.case !== "tensorType")
    throw new UserError(`${spec.path}: ${kind} "${v.name}" is not a tensor (${t?.case ?? "no type"})`, {
      hint: "mlpack serve carries tensors only; wrap sequence or map values in the model's graph",
    });
  const datatype = datatypeFromOnnx(t.value.elemType);
  if (!datatype)
    throw new UserError(
      `${spec.path}: ${kind} "${v.name}" is tensor(${dtypeName(t.value.elemType)}), which the Open Inference Protocol cannot carry`,
      { hint: "insert a Cast to float, float16 or an integer type at the model's boundary" },
    );
  const shape = t.value.shape
    ? t.value.shape.dim.map((d): Dim =>
        d.value.case === "dimValue"
          ? Number(d.value.value)
          : d.value.case === "dimParam"
            ? d.value.value
            : null,
      )
    : null;
  return { name: v.name, datatype, shape };
}

function isBatchable(inputs: TensorSpec[], outputs: TensorSpec[]): boolean {
  const all = [...inputs, ...outputs];
  if (
    inputs.length === 0 ||
    all.some((t) => !t.shape || t.shape.length === 0 || typeof t.shape[0] === "number")
  )
    return false;
  // Named batch dims must agree (an output "n" beside inputs "batch" is not split by rows).
  const names = new Set(all.map((t) => t.shape![0]).filter((d) => d !== null));
  return names.size <= 1;
}

/** The shape as OIP metadata writes it: -1 for variable dims. */
export function oipShape(shape: Dim[] | null): number[] {
  return shape ? shape.map((d) => (typeof d === "number" ? d : -1)) : [-1];
}

export function formatShape(shape: Dim[] | null): string {
  return shape ? `[${shape.map((d) => (d === null ? "?" : String(d))).join(",")}]` : "(any)";
}
