/** Checks a decoded request against the model: names, datatypes, ranks, fixed and symbolic dims. */
import { badRequest } from "./errors.js";
import type { Tensor } from "./datatypes.js";
import { formatShape, oipShape, type ModelInfo } from "./model-info.js";
import type { NamedTensor, RequestedOutput } from "./protocol.js";

export interface ValidatedRequest {
  /** Inputs by name, in the model's order. */
  inputs: Record<string, Tensor>;
  /** Size of the batch dim (dim 0) when the model is batchable; 0 otherwise. */
  rows: number;
  /** Requests may share a batch only when their signatures (dims after dim 0) match. */
  signature: string;
  /** Output names to return, in the order asked (all, in model order, when none were asked). */
  outputs: string[];
}

const quoteList = (xs: string[]) => xs.map((x) => `"${x}"`).join(", ");

export function validateRequest(
  model: ModelInfo,
  inputs: NamedTensor[],
  outputs?: RequestedOutput[],
): ValidatedRequest {
  const label = `model "${model.name}"`;
  const byName = new Map(inputs.map((t) => [t.name, t]));
  for (const t of inputs)
    if (!model.inputs.some((i) => i.name === t.name))
      throw badRequest(
        `${label} has no input "${t.name}" (it takes ${quoteList(model.inputs.map((i) => i.name))})`,
      );
  const missing = model.inputs.filter((i) => !byName.has(i.name));
  if (missing.length > 0)
    throw badRequest(
      `missing input${missing.length > 1 ? "s" : ""} ${missing.map((i) => `"${i.name}" (${i.datatype} ${formatShape(i.shape)})`).join(", ")}`,
    );

  const symbols = new Map<string, { size: number; input: string }>();
  const ordered: Record<string, Tensor> = {};
  const sig: string[] = [];
  let rows = -1;
  for (const spec of model.inputs) {
    const t = byName.get(spec.name)!;
    // onnxruntime aborts the process (not a catchable error) on some models given empty tensors, e.g.
    // Silero VAD v5 with input [0,512] and state [2,0,128]; an empty tensor is no inference anyway.
    if (t.shape.includes(0))
      throw badRequest(
        `input "${spec.name}": shape [${t.shape.join(",")}] has no elements; send at least one row (every dim at least 1)`,
      );
    if (t.datatype !== spec.datatype)
      throw badRequest(`input "${spec.name}": datatype is ${t.datatype}, the model expects ${spec.datatype}`);
    const want = spec.shape;
    if (want) {
      const mismatch = () =>
        badRequest(
          `input "${spec.name}": shape [${t.shape.join(",")}] does not match the model's ${formatShape(want)} (expected [${oipShape(want).join(",")}], -1 = any size)`,
        );
      if (t.shape.length !== want.length) throw mismatch();
      want.forEach((d, i) => {
        const got = t.shape[i];
        if (typeof d === "number" && got !== d) throw mismatch();
        if (typeof d === "string") {
          const prev = symbols.get(d);
          if (prev && prev.size !== got)
            throw badRequest(
              `input "${spec.name}": dim ${i} ("${d}") is ${got} but input "${prev.input}" has ${prev.size} for "${d}"; they must agree`,
            );
          symbols.set(d, { size: got, input: spec.name });
        }
      });
    }
    if (model.batchable) {
      if (rows >= 0 && t.shape[0] !== rows)
        throw badRequest(
          `input "${spec.name}": batch dim is ${t.shape[0]} but the other inputs have ${rows}`,
        );
      rows = t.shape[0];
    }
    sig.push(`${t.datatype}[${t.shape.slice(model.batchable ? 1 : 0).join(",")}]`);
    ordered[spec.name] = t;
  }

  let names = model.outputs.map((o) => o.name);
  if (outputs && outputs.length > 0) {
    for (const o of outputs)
      if (!names.includes(o.name))
        throw badRequest(`${label} has no output "${o.name}" (it has ${quoteList(names)})`);
    names = [...new Set(outputs.map((o) => o.name))];
  }
  return { inputs: ordered, rows: Math.max(rows, 0), signature: sig.join(";"), outputs: names };
}
