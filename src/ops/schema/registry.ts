/**
 * Lookup over every operator schema we know: the ONNX spec tables (generated) and the onnxruntime
 * contribs (declared). The index is built once, on first use, so importing this module is cheap.
 */
import { CONTRIB_MS_SCHEMAS, ORT_ONNX_DOMAIN_SCHEMAS } from "./contrib-ms.js";
import { ONNX_SCHEMAS } from "./onnx.generated.js";
import type { OpSchema } from "./types.js";

interface SchemaIndex {
  /** domain → op type → versions, ascending by sinceVersion. */
  byDomain: Map<string, Map<string, OpSchema[]>>;
  all: readonly OpSchema[];
}

let index: SchemaIndex | undefined;

/** "ai.onnx" and "" name the same (default) domain; the index keys it as "". */
export function normalizeDomain(d: string): string {
  return d === "ai.onnx" ? "" : d;
}

function compareSchemas(a: OpSchema, b: OpSchema): number {
  if (a.domain !== b.domain) return a.domain < b.domain ? -1 : 1;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.sinceVersion - b.sinceVersion;
}

function buildIndex(): SchemaIndex {
  const all = [...ONNX_SCHEMAS, ...CONTRIB_MS_SCHEMAS, ...ORT_ONNX_DOMAIN_SCHEMAS].sort(compareSchemas);
  const byDomain = new Map<string, Map<string, OpSchema[]>>();
  for (const s of all) {
    let ops = byDomain.get(s.domain);
    if (!ops) byDomain.set(s.domain, (ops = new Map()));
    const versions = ops.get(s.name) ?? [];
    const last = versions[versions.length - 1];
    if (last?.sinceVersion === s.sinceVersion) {
      throw new Error(`two schemas for ${s.domain || "ai.onnx"}:${s.name}-${s.sinceVersion}`);
    }
    versions.push(s);
    ops.set(s.name, versions);
  }
  return { byDomain, all };
}

function getIndex(): SchemaIndex {
  return (index ??= buildIndex());
}

/** Every version of an op, ascending by sinceVersion; empty when the op is unknown. */
export function schemaVersions(domain: string, opType: string): readonly OpSchema[] {
  return getIndex().byDomain.get(normalizeDomain(domain))?.get(opType) ?? [];
}

/**
 * The schema in force at `opsetVersion` of `domain`: the highest sinceVersion ≤ opsetVersion.
 * Undefined when the op is unknown or the opset predates its first version. A deprecated row
 * (e.g. Upsample-10) is returned as is; check `deprecated` before trusting its signature.
 */
export function resolveSchema(domain: string, opType: string, opsetVersion: number): OpSchema | undefined {
  const versions = schemaVersions(domain, opType);
  for (let i = versions.length - 1; i >= 0; i--) {
    if (versions[i].sinceVersion <= opsetVersion) return versions[i];
  }
  return undefined;
}

export function hasOp(domain: string, opType: string): boolean {
  return schemaVersions(domain, opType).length > 0;
}

/** Domains with at least one schema, sorted ("" first). */
export function knownDomains(): string[] {
  return [...getIndex().byDomain.keys()].sort();
}

/** All schemas, sorted by domain, name, sinceVersion. */
export function allSchemas(): readonly OpSchema[] {
  return getIndex().all;
}

/** The highest sinceVersion of any op in the domain; 0 for an unknown domain. */
export function latestOpsetVersion(domain: string): number {
  let latest = 0;
  for (const versions of getIndex().byDomain.get(normalizeDomain(domain))?.values() ?? []) {
    latest = Math.max(latest, versions[versions.length - 1].sinceVersion);
  }
  return latest;
}
