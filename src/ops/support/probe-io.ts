/**
 * Which tensor element types a runtime's API accepts as graph inputs and outputs. onnxruntime-node
 * creates the native session, then refuses to describe inputs/outputs whose element type it cannot
 * hand to JavaScript (bfloat16, float8, ...), so the session never reaches the caller.
 *
 * The probes use no kernels: an input probe leaves its typed input unused and outputs a float
 * Constant; an output probe outputs a Constant of the type. (An Identity probe would also test the
 * Identity kernel, which onnxruntime lacks for the 4-bit and 2-bit types.)
 */
import {
  create,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  encodeModelProto,
  type ValueInfoProto,
} from "../../onnx/proto.js";
import { allDtypes } from "../../onnx/dtypes.js";
import { attr, smallTensor, valueInfo } from "./probe-proto.js";
import type { SessionFactory } from "./probe.js";

export interface IoTypes {
  /** Spec type strings ("tensor(float)") accepted as graph inputs. */
  input: string[];
  /** Spec type strings accepted as graph outputs. */
  output: string[];
}

/** Every tensor element type ONNX defines, as spec type strings, in element-type id order. */
export function tensorTypes(): string[] {
  return [...allDtypes()].sort((a, b) => a.id - b.id).map((d) => `tensor(${d.name})`);
}

/** A model with one Constant of `constantType` as its output `y`, and optionally an unused input `x`. */
export function buildIoProbeModel(
  constantType: string,
  inputType: string | undefined,
  opset: number,
  irVersion: number,
): Uint8Array {
  const node = create(NodeProtoSchema, {
    name: "probe",
    opType: "Constant",
    output: ["y"],
    attribute: [attr("value", { kind: "tensor", value: smallTensor(constantType) })],
  });
  const input: ValueInfoProto[] = inputType ? [valueInfo("x", inputType)] : [];
  const graph = create(GraphProtoSchema, {
    name: "io_probe",
    node: [node],
    input,
    output: [valueInfo("y", constantType)],
  });
  return encodeModelProto(
    create(ModelProtoSchema, {
      irVersion: BigInt(irVersion),
      producerName: "mlpack-probe",
      opsetImport: [create(OperatorSetIdProtoSchema, { domain: "", version: BigInt(opset) })],
      graph,
    }),
  );
}

/**
 * Probes each tensor type as a graph input and as a graph output, at an ai.onnx `opset` and IR
 * `irVersion` new enough for every type (the highest the runtime loads).
 */
export async function probeIoTypes(
  createSession: SessionFactory,
  opset: number,
  irVersion: number,
  types: readonly string[] = tensorTypes(),
): Promise<IoTypes> {
  const accepts = async (bytes: Uint8Array): Promise<boolean> => {
    try {
      await createSession(bytes);
      return true;
    } catch {
      return false;
    }
  };
  const io: IoTypes = { input: [], output: [] };
  for (const type of types) {
    if (await accepts(buildIoProbeModel("tensor(float)", type, opset, irVersion))) io.input.push(type);
    if (await accepts(buildIoProbeModel(type, undefined, opset, irVersion))) io.output.push(type);
  }
  return io;
}
