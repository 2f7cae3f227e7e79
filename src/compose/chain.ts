/**
 * Chaining separately-served models (`mlpack serve --pipeline NAME=A,B --connect A.out=B.in`): a pure
 * plan (which value feeds which input, checked against the models' metadata) and a runner that calls
 * an `infer` function per step. The server supplies `infer` (its own batching, cache and workers
 * apply to each step); nothing here touches HTTP, workers or onnxruntime.
 */
import { UsageError, UserError } from "../errors.js";
import { parseConnection } from "./endpoints.js";

export type ChainDim = number | string | null;

/** A model's input or output as the server describes it (OIP metadata). */
export interface ChainTensorSpec {
  name: string;
  datatype: string;
  shape: ChainDim[] | null;
}

export interface ChainModelInfo {
  name: string;
  inputs: ChainTensorSpec[];
  outputs: ChainTensorSpec[];
}

/** A tensor in a request or response (OIP JSON or binary, already decoded). */
export interface ChainTensor {
  name: string;
  datatype: string;
  shape: number[];
  data: unknown;
}

/** Where a step's input comes from: the request, or an earlier step's output. */
export type ChainSource = { request: string } | { step: number; output: string };

export interface ChainStep {
  model: string;
  feeds: { input: string; from: ChainSource }[];
}

export interface ChainPlan {
  name: string;
  steps: ChainStep[];
  /** What a request must carry: the inputs no earlier step feeds. */
  inputs: ChainTensorSpec[];
  /** What the response carries: the last model's outputs. */
  outputs: ChainTensorSpec[];
}

/** `NAME=A,B[,C...]` */
export function parsePipelineFlag(text: string): { name: string; models: string[] } {
  const m = /^([A-Za-z0-9][A-Za-z0-9_.-]*)=(.+)$/.exec(text);
  const models = m?.[2].split(",").map((s) => s.trim()) ?? [];
  if (!m || models.length < 2 || models.some((s) => s === ""))
    throw new UsageError(`--pipeline ${text}: expected NAME=MODEL,MODEL[,...]`, {
      hint: "e.g. --pipeline ocr=detector,classifier (models served by this server, in order)",
    });
  return { name: m[1], models };
}

function clash(a: ChainTensorSpec, b: ChainTensorSpec): string | undefined {
  if (a.datatype !== b.datatype) return `${a.datatype} vs ${b.datatype}`;
  if (!a.shape || !b.shape) return undefined;
  if (a.shape.length !== b.shape.length) return `rank ${a.shape.length} vs ${b.shape.length}`;
  const i = a.shape.findIndex(
    (d, k) => typeof d === "number" && typeof b.shape![k] === "number" && d !== b.shape![k],
  );
  return i >= 0 ? `dim ${i} is ${a.shape[i]} vs ${b.shape[i]}` : undefined;
}

/**
 * Checks and plans a chain. Without `connect`, consecutive models are joined where the earlier one has
 * a single output and the later a single input, or by equal names.
 */
export function planChain(
  spec: { name: string; models: string[] },
  connect: string[],
  lookup: (model: string) => ChainModelInfo | undefined,
): ChainPlan {
  const infos = spec.models.map((m) => {
    const info = lookup(m);
    if (!info)
      throw new UserError(`--pipeline ${spec.name}: no served model named "${m}"`, {
        hint: "chain models the server also serves (--model NAME=FILE)",
      });
    return info;
  });
  const index = new Map(spec.models.map((m, i) => [m, i]));
  if (index.size !== spec.models.length)
    throw new UserError(`--pipeline ${spec.name}: a model appears twice`, {
      hint: "each model runs once per request",
    });
  const feeds: Map<string, ChainSource>[] = infos.map(() => new Map());
  for (const text of connect) {
    const c = parseConnection(text, spec.models);
    const [fi, ti] = [index.get(c.from.piece)!, index.get(c.to.piece)!];
    if (fi >= ti)
      throw new UserError(
        `--connect ${text}: ${c.from.piece} runs after ${c.to.piece} in --pipeline ${spec.name}`,
        {
          hint: "a chain runs its models in the order given; connect outputs to later models only (no cycles)",
        },
      );
    const out = infos[fi].outputs.find((o) => o.name === c.from.name);
    const inp = infos[ti].inputs.find((o) => o.name === c.to.name);
    if (!out)
      throw new UserError(`--connect ${text}: "${c.from.piece}" has no output "${c.from.name}"`, {
        hint: `outputs: ${infos[fi].outputs.map((o) => o.name).join(", ")}`,
      });
    if (!inp)
      throw new UserError(`--connect ${text}: "${c.to.piece}" has no input "${c.to.name}"`, {
        hint: `inputs: ${infos[ti].inputs.map((o) => o.name).join(", ")}`,
      });
    const why = clash(out, inp);
    if (why)
      throw new UserError(
        `--connect ${text}: ${c.from.piece}.${out.name} and ${c.to.piece}.${inp.name} do not match (${why})`,
        {
          hint: "connect an output of the same datatype and shape",
        },
      );
    if (feeds[ti].has(inp.name))
      throw new UserError(`--connect ${text}: ${c.to.piece}.${inp.name} is fed twice`, {
        hint: "drop one connection",
      });
    feeds[ti].set(inp.name, { step: fi, output: out.name });
  }
  // Implicit joins between neighbours that no --connect mentions.
  for (let i = 1; i < infos.length; i++) {
    const [prev, cur] = [infos[i - 1], infos[i]];
    if (connect.some((t) => parseConnection(t, spec.models).to.piece === cur.name)) continue;
    for (const inp of cur.inputs) {
      const out =
        prev.outputs.length === 1 && cur.inputs.length === 1
          ? prev.outputs[0]
          : prev.outputs.find((o) => o.name === inp.name);
      if (!out) continue;
      const why = clash(out, inp);
      if (why)
        throw new UserError(
          `--pipeline ${spec.name}: ${prev.name}.${out.name} and ${cur.name}.${inp.name} do not match (${why})`,
          {
            hint: `say which output feeds which input with --connect ${prev.name}.OUTPUT=${cur.name}.INPUT`,
          },
        );
      feeds[i].set(inp.name, { step: i - 1, output: out.name });
    }
    if (feeds[i].size === 0)
      throw new UserError(`--pipeline ${spec.name}: nothing connects ${prev.name} to ${cur.name}`, {
        hint: `add --connect ${prev.name}.OUTPUT=${cur.name}.INPUT (outputs: ${prev.outputs.map((o) => o.name).join(", ")}; inputs: ${cur.inputs.map((o) => o.name).join(", ")})`,
      });
  }
  const inputs: ChainTensorSpec[] = [];
  const steps = infos.map((info, i) => ({
    model: info.name,
    feeds: info.inputs.map((inp) => {
      const from = feeds[i].get(inp.name);
      if (from) return { input: inp.name, from };
      // A request input of the same name feeds every model that reads it.
      if (!inputs.some((x) => x.name === inp.name)) inputs.push(inp);
      return { input: inp.name, from: { request: inp.name } };
    }),
  }));
  return { name: spec.name, steps, inputs, outputs: infos[infos.length - 1].outputs };
}

/** Runs one request through the chain; `infer` runs one served model. */
export async function runChain(
  plan: ChainPlan,
  request: ChainTensor[],
  infer: (model: string, inputs: ChainTensor[]) => Promise<ChainTensor[]>,
): Promise<ChainTensor[]> {
  const given = new Map(request.map((t) => [t.name, t]));
  for (const i of plan.inputs)
    if (!given.has(i.name))
      throw new UserError(`pipeline ${plan.name}: the request has no input "${i.name}"`, {
        hint: `inputs: ${plan.inputs.map((x) => x.name).join(", ")}`,
      });
  const results: Map<string, ChainTensor>[] = [];
  for (const step of plan.steps) {
    const inputs = step.feeds.map(({ input, from }) => {
      const t = "request" in from ? given.get(from.request)! : results[from.step].get(from.output);
      if (!t)
        throw new UserError(
          `pipeline ${plan.name}: ${plan.steps[(from as { step: number }).step].model} returned no "${(from as { output: string }).output}"`,
          {
            hint: "the served model's outputs changed; restart the server",
          },
        );
      return { ...t, name: input };
    });
    const out = await infer(step.model, inputs);
    results.push(new Map(out.map((t) => [t.name, t])));
  }
  return [...results[results.length - 1].values()];
}

/** OIP model metadata for GET /v2/models/NAME of a chain. */
export function chainMetadata(plan: ChainPlan) {
  return {
    name: plan.name,
    versions: ["1"],
    platform: "mlpack-pipeline",
    inputs: plan.inputs,
    outputs: plan.outputs,
  };
}
