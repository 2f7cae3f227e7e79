/**
 * What onnxruntime-node runs on its CPU execution provider, answered from the kernel table probed
 * from the installed runtime (ort-cpu.json, made by `npm run gen:ort-support`).
 *
 * A query's unknown types are wildcards: a node is reported unsupported only when no probed tuple
 * agrees with every type mlpack could infer. Tuples the probe could not decide count as supported,
 * so the table never blocks a model on the probe's own limits. Where a kernel exists, the declared
 * rules in ort-kernel-rules.ts check the node's attributes; the table's ioTypes say which tensor
 * types onnxruntime-node passes as graph inputs and outputs.
 */
import { readFileSync } from "node:fs";
import { kernelRuleHits, ORT_KERNEL_RULES, type KernelAttributeRule } from "./ort-kernel-rules.js";
import { opKey, type OrtOpEntry, type OrtSupportTable } from "./ort-table.js";
import type { SupportAnswer, SupportQuery, TargetSupport } from "./types.js";

const REGENERATE = "re-run `npm run gen:ort-support` after upgrading onnxruntime-node";

/** Successors of ops ONNX deprecated, for the hint. */
const REPLACEMENTS: Record<string, string> = {
  Upsample: "Resize",
  Scatter: "ScatterElements",
  TreeEnsembleClassifier: "TreeEnsemble (ai.onnx.ml opset 5)",
  TreeEnsembleRegressor: "TreeEnsemble (ai.onnx.ml opset 5)",
};

export function loadOrtTable(url: URL = new URL("./ort-cpu.json", import.meta.url)): OrtSupportTable {
  return JSON.parse(readFileSync(url, "utf8")) as OrtSupportTable;
}

const domainLabel = (d: string): string => (d === "" ? "ai.onnx" : d);
const normalize = (d: string): string => (d === "ai.onnx" ? "" : d);
const no = (reason: string, hint?: string): SupportAnswer => ({
  supported: false,
  reason,
  ...(hint ? { hint } : {}),
});

/** The op versions in a table, per "domain::op", ascending. */
function indexVersions(table: OrtSupportTable): Map<string, number[]> {
  const index = new Map<string, number[]>();
  for (const key of Object.keys(table.ops)) {
    const cut = key.lastIndexOf("::");
    const op = key.slice(0, cut);
    index.set(op, [...(index.get(op) ?? []), Number(key.slice(cut + 2))]);
  }
  for (const versions of index.values()) versions.sort((a, b) => a - b);
  return index;
}

export interface OrtSupportOptions {
  id: string;
  description: string;
  /** Names the runtime in messages ("onnxruntime-node 1.30.0 (CPU)"). */
  runtime: string;
  /** Attribute values kernels refuse (default: ORT_KERNEL_RULES). */
  kernelRules?: readonly KernelAttributeRule[];
}

/** The type a value the runtime cannot pass should be cast to inside the model (same family, wider). */
function castTargetFor(type: string): string | undefined {
  const elem = /^tensor\((\w+)\)$/.exec(type)?.[1] ?? "";
  if (/^complex/.test(elem)) return undefined;
  if (/^int[24]$/.test(elem)) return "tensor(int8)";
  if (/^uint[24]$/.test(elem)) return "tensor(uint8)";
  return "tensor(float)";
}

export function createOrtSupport(table: OrtSupportTable, opts: OrtSupportOptions): TargetSupport {
  const versions = indexVersions(table);
  const rt = opts.runtime;
  const rules = opts.kernelRules ?? ORT_KERNEL_RULES;

  const versionsWithKernel = (domain: string, opType: string): number[] =>
    (versions.get(`${domain}::${opType}`) ?? []).filter(
      (v) => !table.ops[opKey(domain, opType, v)].unsupportedAll,
    );

  const noKernelAtVersion = (
    q: SupportQuery,
    version: number,
    entry: OrtOpEntry | undefined,
  ): SupportAnswer => {
    const name = `${domainLabel(q.domain)}::${q.opType}-${version}`;
    const label = entry?.reason;
    if (label === "op deprecated at this opset") {
      const next = REPLACEMENTS[q.opType];
      return no(
        `${rt} rejects ${name}: ONNX deprecated ${q.opType} at opset ${version}`,
        next
          ? `replace ${q.opType} with ${next} (re-export with a current exporter)`
          : "re-export the model with a current exporter",
      );
    }
    if (label === "op not registered") {
      return no(
        `${rt} has no ${domainLabel(q.domain)}::${q.opType} operator`,
        "training and preview ops are not in onnxruntime's inference build; export the model for inference without them",
      );
    }
    const others = versionsWithKernel(q.domain, q.opType);
    const hint =
      others.length > 0
        ? `onnxruntime runs ${q.opType} as versions ${others.join(", ")}; re-export the model at an opset where ${q.opType} resolves to one of them, or exclude the node`
        : `replace the node with ops onnxruntime runs, or run the model on a runtime that has ${q.opType}`;
    return no(`${rt} has no kernel for ${name}${label && label !== "no kernel" ? ` (${label})` : ""}`, hint);
  };

  const typeMismatch = (
    q: SupportQuery,
    version: number,
    entry: OrtOpEntry,
    known: (string | undefined)[],
  ): SupportAnswer => {
    const name = `${domainLabel(q.domain)}::${q.opType}-${version}`;
    const supported = entry.supported ?? [];
    if ((q.opType === "Cast" || q.opType === "CastLike") && known[0] && known[1]) {
      const viaFloat =
        supported.some((t) => t[0] === known[0] && t[1] === "tensor(float)") &&
        supported.some((t) => t[0] === "tensor(float)" && t[1] === known[1]);
      return no(
        `${rt} has no ${q.opType} kernel from ${known[0]} to ${known[1]} (${name})`,
        viaFloat
          ? `cast through tensor(float) first (two Cast nodes: ${known[0]} → tensor(float) → ${known[1]}), or exclude the node`
          : `no route through tensor(float) either; keep this value in a type onnxruntime can convert, or exclude the node`,
      );
    }
    const bound = entry.typeParams
      .map((p, i) => (known[i] ? `${p}=${known[i]}` : undefined))
      .filter((x) => x !== undefined)
      .join(", ");
    // Parameters whose bound type appears in no supported tuple are the ones to change.
    const culprits = entry.typeParams
      .map((p, i) => ({ p, i }))
      .filter(({ i }) => known[i] !== undefined && !supported.some((t) => t[i] === known[i]));
    const options = culprits.map(({ p, i }) => {
      const types = [...new Set(supported.map((t) => t[i]))];
      return `${p} ∈ {${types.join(", ")}}`;
    });
    const hint =
      options.length > 0
        ? `it supports ${options.join("; ")}: insert a Cast to one of them before the node (and back after it), or exclude the node`
        : "each type is supported on its own but not in this combination: cast one of the inputs, or exclude the node";
    return no(`${rt} has no ${name} kernel for ${bound}`, hint);
  };

  /** Whether the newest Cast the runtime has converts `from` to `to` (for hints). */
  const canCast = (from: string, to: string): boolean => {
    const newest = versionsWithKernel("", "Cast").at(-1);
    const entry = newest === undefined ? undefined : table.ops[opKey("", "Cast", newest)];
    return (entry?.supported ?? []).some((t) => t[0] === from && t[1] === to);
  };

  /** A kernel exists for the node's types; does its constructor accept the node's attributes? */
  const checkAttributes = (q: SupportQuery, version: number): SupportAnswer => {
    if (!q.attributes) return { supported: true };
    const hit = kernelRuleHits(rules, q.domain, q.opType, q.attributes)[0];
    if (!hit) return { supported: true };
    const reason = `${rt}: ${domainLabel(q.domain)}::${q.opType}-${version} ${hit.caveat.reason}`;
    return hit.severity === "error"
      ? no(reason, hit.caveat.hint)
      : { supported: true, warning: { reason, ...(hit.caveat.hint ? { hint: hit.caveat.hint } : {}) } };
  };

  return {
    id: opts.id,
    description: opts.description,
    maxIrVersion: table.maxIrVersion,
    maxOpset: (domain) => table.maxOpset[normalize(domain)],

    check(q: SupportQuery): SupportAnswer {
      const domain = normalize(q.domain);
      const max = table.maxOpset[domain];
      if (max === undefined) {
        return no(
          `${rt} does not know the domain "${domain}" (node ${q.opType})`,
          "this op comes from a custom-op library: register that library with onnxruntime, or replace the node",
        );
      }
      if (q.opsetVersion > max) {
        return no(
          `${rt} loads ${domainLabel(domain)} opsets up to ${max}; the model uses opset ${q.opsetVersion}`,
          `re-export with opset ${max} or lower (torch.onnx.export(..., opset_version=${max})) or convert it with onnx.version_converter`,
        );
      }
      const known = versions.get(`${domain}::${q.opType}`) ?? [];
      const version = q.sinceVersion ?? [...known].reverse().find((v) => v <= q.opsetVersion);
      if (version === undefined) {
        return no(
          `${rt} has no kernel for ${domainLabel(domain)}::${q.opType}${known.length ? ` at opset ${q.opsetVersion}` : ""}`,
          known.length
            ? `onnxruntime knows ${q.opType} from version ${known[0]}; re-export at a newer opset`
            : `${q.opType} is not an op onnxruntime knows; replace it, or register a custom-op library that provides it`,
        );
      }
      const entry = table.ops[opKey(domain, q.opType, version)];
      if (!entry) {
        return no(
          `onnxruntime-node ${table.onnxruntime} has no kernel for ${domainLabel(domain)}::${q.opType}-${version}`,
          known.length
            ? `the runtime's table has ${q.opType} versions ${known.join(", ")}; re-export at an opset that resolves to one of them (or ${REGENERATE})`
            : `${q.opType} is not an op onnxruntime knows; replace it, or register a custom-op library that provides it`,
        );
      }
      if (entry.unsupportedAll) return noKernelAtVersion({ ...q, domain }, version, entry);

      const boundTypes = entry.typeParams.map((p) => q.types[p]);
      const matches = (t: string[]): boolean =>
        t.every((x, i) => boundTypes[i] === undefined || boundTypes[i] === x);
      const supported = entry.supported ?? [];
      const typesOk =
        supported.some(matches) ||
        (entry.inconclusive ?? []).some((c) => matches(c.types)) ||
        // Only one parameter varied at a time (types the probe could only leave open): accept when
        // each known type was seen on its own.
        (entry.exhaustive === false &&
          boundTypes.every((b, i) => b === undefined || supported.some((t) => t[i] === b)));
      if (!typesOk) return typeMismatch({ ...q, domain }, version, entry, boundTypes);
      return checkAttributes({ ...q, domain }, version);
    },

    checkGraphIo(kind, name, type): SupportAnswer {
      // Only tensors are checked: the API describes other values (sequences, maps) without their
      // element types, so they never fail session creation; the table lists tensor types only.
      if (!table.ioTypes || !type.startsWith("tensor(")) return { supported: true };
      const accepted = kind === "input" ? table.ioTypes.input : table.ioTypes.output;
      if (accepted.includes(type)) return { supported: true };
      const to = castTargetFor(type);
      const reason =
        `graph ${kind} "${name}" is ${type}, which ${rt} cannot pass ${kind === "input" ? "from" : "to"} ` +
        `JavaScript: creating the session fails`;
      const castable =
        to !== undefined &&
        accepted.includes(to) &&
        (kind === "input" ? canCast(to, type) : canCast(type, to));
      if (!castable) {
        return no(
          reason,
          `change the model's ${kind} to a type onnxruntime-node passes (${accepted.join(", ")})` +
            (to ? "" : "; complex values can travel as a float tensor with a trailing dimension of 2"),
        );
      }
      return no(
        reason,
        kind === "input"
          ? `cast it inside the model: declare "${name}" as ${to} and add a Cast to ${type} after it`
          : `cast it inside the model: add a Cast to ${to} before "${name}" and declare the output as ${to}`,
      );
    },
  };
}

const TABLE = loadOrtTable();

export const ortCpuSupport: TargetSupport = createOrtSupport(TABLE, {
  id: "ort-cpu",
  runtime: `onnxruntime-node ${TABLE.onnxruntime} (CPU)`,
  description:
    `onnxruntime-node ${TABLE.onnxruntime}, CPU execution provider: kernel table probed from the installed ` +
    `runtime on ${TABLE.probedAt} (${Object.keys(TABLE.ops).length} op versions)`,
});

/**
 * The CUDA provider's libraries cannot be installed here, so its coverage is not probed. onnxruntime
 * places nodes the CUDA provider lacks on the CPU provider, so the CPU table is what a CUDA session
 * can run at all; it says nothing about which nodes actually run on the GPU.
 */
export const ortCudaSupport: TargetSupport = createOrtSupport(TABLE, {
  id: "ort-cuda",
  runtime: `onnxruntime-node ${TABLE.onnxruntime} (CUDA session, CPU fallback)`,
  description:
    `onnxruntime-node ${TABLE.onnxruntime}: CPU kernel table (onnxruntime places nodes the CUDA provider ` +
    `lacks on the CPU provider); CUDA coverage not probed`,
});
