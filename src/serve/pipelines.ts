/**
 * `mlpack serve --pipeline NAME=A,B [--connect A.out=B.in]`: a chain of separately-served models
 * exposed as one more model. Each step goes through the service's own `infer` (validation, batching,
 * cache, workers, metrics per served model), so the pieces stay individually addressable and the
 * chain adds no second runtime. The plan is checked at start-up against the served models'
 * metadata (src/compose/chain.ts): a type or shape mismatch at a connection fails before listening.
 */
import { UsageError, UserError } from "../errors.js";
import { parseConnection } from "../compose/endpoints.js";
import {
  parsePipelineFlag,
  planChain,
  runChain,
  type ChainPlan,
  type ChainTensor,
} from "../compose/chain.js";
import { badRequest, notFound } from "./errors.js";
import { oipShape, type ModelInfo } from "./model-info.js";
import type { InferResponse, NamedTensor } from "./protocol.js";
import type { ModelService } from "./service.js";
import type { Tensor } from "./datatypes.js";

export interface PipelineSpec {
  name: string;
  models: string[];
  connect: string[];
}

/** `--pipeline` and `--connect` flags → specs; each connection belongs to the pipeline naming both ends. */
export function parsePipelineFlags(pipelines: string[], connects: string[]): PipelineSpec[] {
  const specs = pipelines.map((p) => ({ ...parsePipelineFlag(p), connect: [] as string[] }));
  const names = new Set<string>();
  for (const s of specs) {
    if (names.has(s.name))
      throw new UsageError(`--pipeline ${s.name}: given twice`, { hint: "name each pipeline once" });
    names.add(s.name);
  }
  for (const c of connects) {
    const owners = specs.filter((s) => {
      try {
        const { from, to } = parseConnection(c, s.models);
        return s.models.includes(from.piece) && s.models.includes(to.piece);
      } catch {
        return false;
      }
    });
    if (owners.length === 0)
      throw new UsageError(`--connect ${c}: no --pipeline chains both of these models`, {
        hint: specs.length
          ? `pipelines: ${specs.map((s) => `${s.name}=${s.models.join(",")}`).join("; ")}`
          : "--connect needs a --pipeline NAME=A,B",
      });
    owners.forEach((s) => s.connect.push(c));
  }
  return specs;
}

/** The service, answering also for each pipeline name (version "1"). */
export function withPipelines(service: ModelService, specs: PipelineSpec[]): ModelService {
  if (specs.length === 0) return service;
  const plans = new Map<string, { plan: ChainPlan; info: ModelInfo }>();
  for (const spec of specs) {
    if (service.models.some((m) => m.name === spec.name))
      throw new UserError(`--pipeline ${spec.name}: a served model already has this name`, {
        hint: "give the pipeline another name",
      });
    const plan = planChain(spec, spec.connect, (name) => {
      try {
        return service.resolveModel(name);
      } catch {
        return undefined;
      }
    });
    const info: ModelInfo = {
      name: spec.name,
      version: "1",
      path: `pipeline ${spec.models.join(" → ")}`,
      inputs: plan.inputs.map((t) => ({ ...t, datatype: t.datatype as ModelInfo["inputs"][0]["datatype"] })),
      outputs: plan.outputs.map((t) => ({
        ...t,
        datatype: t.datatype as ModelInfo["outputs"][0]["datatype"],
      })),
      // Each step batches on its own; the pipeline itself is a sequence of requests.
      batchable: false,
    };
    plans.set(spec.name, { plan, info });
  }
  const models = [...service.models, ...[...plans.values()].map((p) => p.info)];
  const pipelineOf = (name: string, version?: string) => {
    const p = plans.get(name);
    if (p && version !== undefined && version !== "1")
      throw notFound(`pipeline "${name}" has no version "${version}" (versions: 1)`);
    return p;
  };
  const toChain = (t: NamedTensor): ChainTensor => ({
    name: t.name,
    datatype: t.datatype,
    shape: t.shape,
    data: t.data,
  });
  return {
    ...service,
    models,
    get metrics() {
      return service.metrics;
    },
    get inflight() {
      return service.inflight;
    },
    isLive: () => service.isLive(),
    isReady: () => service.isReady(),
    readiness: () => service.readiness(),
    serverMetadata: () => service.serverMetadata(),
    drain: () => service.drain(),
    close: (graceMs) => service.close(graceMs),
    resolveModel: (name, version) => pipelineOf(name, version)?.info ?? service.resolveModel(name, version),
    // A canary split (service.route) applies to the served models, and to each step of a chain.
    route: (name, version) =>
      pipelineOf(name, version)?.info ??
      (service.route ? service.route(name, version) : service.resolveModel(name, version)),
    modelMetadata(name, version) {
      const p = pipelineOf(name, version);
      if (!p) return service.modelMetadata(name, version);
      const spec = (t: { name: string; datatype: string; shape: (number | string | null)[] | null }) => ({
        name: t.name,
        datatype: t.datatype,
        shape: oipShape(t.shape),
      });
      return {
        name,
        versions: ["1"],
        platform: "mlpack_pipeline",
        inputs: p.plan.inputs.map(spec),
        outputs: p.plan.outputs.map(spec),
      };
    },
    async infer(name, version, request): Promise<InferResponse> {
      const p = pipelineOf(name, version);
      if (!p) return service.infer(name, version, request);
      const t0 = performance.now();
      let outputs: ChainTensor[];
      try {
        outputs = await runChain(p.plan, request.inputs.map(toChain), async (model, inputs) => {
          const step = service.route ? service.route(model).version : undefined;
          const r = await service.infer(model, step, {
            inputs: inputs.map((t) => ({ ...t, datatype: t.datatype as Tensor["datatype"] }) as NamedTensor),
            binaryOutput: false,
          });
          return r.outputs.map(toChain);
        });
      } catch (e) {
        // A missing request input is the client's error, like a plain model's.
        if (e instanceof UserError) throw badRequest(e.message);
        throw e;
      }
      const wanted = request.outputs?.map((o) => o.name);
      for (const w of wanted ?? [])
        if (!outputs.some((o) => o.name === w))
          throw badRequest(
            `pipeline "${name}" has no output "${w}" (outputs: ${outputs.map((o) => o.name).join(", ")})`,
          );
      const chosen = wanted ? outputs.filter((o) => wanted.includes(o.name)) : outputs;
      return {
        modelName: name,
        modelVersion: "1",
        ...(request.id !== undefined ? { id: request.id } : {}),
        outputs: chosen.map((o) => ({ ...o, datatype: o.datatype as Tensor["datatype"] }) as NamedTensor),
        timing: { computeMs: performance.now() - t0 },
      };
    },
  };
}
