/** Can the chosen runtime run every node? Uses the target's support table (probed for ort-cpu). */
import type { AttributeProto } from "../onnx/proto.js";
import type { Node } from "../ir/graph.js";
import type { AttributeValue, SupportAnswer, TargetSupport } from "../ops/support/types.js";
import { normalizeDomain } from "../ops/schema/registry.js";
import type { DiagnosticBag, DiagnosticNode } from "../diagnostics.js";
import { formalAt, isTypeParam } from "./infer-types.js";
import { nodeRef, type GraphScope, type ValidationContext } from "./validate-context.js";
import { attributeType, resolveNodeSchema } from "./validate-nodes.js";

const utf8 = new TextDecoder();

function decodeAttribute(a: AttributeProto): AttributeValue | undefined {
  if (a.refAttrName) return undefined; // a function body's reference: the value is the caller's
  switch (attributeType(a)) {
    case "int":
      return Number(a.i);
    case "float":
      return a.f;
    case "string":
      return utf8.decode(a.s);
    case "ints":
      return a.ints.map(Number);
    case "floats":
      return [...a.floats];
    case "strings":
      return a.strings.map((s) => utf8.decode(s));
    default:
      return undefined;
  }
}

/** The node's int/float/string(s) attributes, decoded, for the target's kernel attribute checks. */
export function nodeAttributes(node: Node): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const a of node.attributes) {
    const v = decodeAttribute(a);
    if (v !== undefined) out[a.name] = v;
  }
  return out;
}

/** Supported with a caveat: the kernel exists, but creating the session depends on the host. */
const HOST_DEPENDENT = "target-host-dependent";

function report(
  d: DiagnosticBag,
  code: string,
  answer: SupportAnswer,
  where: { node?: DiagnosticNode; value?: string },
): void {
  if (!answer.supported) d.error(code, answer.reason, { ...where, hint: answer.hint });
  else if (answer.warning) {
    d.warning(HOST_DEPENDENT, answer.warning.reason, { ...where, hint: answer.warning.hint });
  }
}

/** Main-graph inputs (less initializer-backed defaults) and outputs whose types the runtime's API cannot pass. */
function validateGraphIo(scope: GraphScope, target: TargetSupport, d: DiagnosticBag): void {
  if (!target.checkGraphIo) return;
  const initialized = new Set(scope.graph.initializers.map((t) => t.name));
  const io: ["input" | "output", string][] = [
    ...scope.graph.inputs
      .filter((v) => !initialized.has(v.name))
      .map((v): ["input", string] => ["input", v.name]),
    ...scope.graph.outputs.map((v): ["output", string] => ["output", v.name]),
  ];
  for (const [kind, name] of io) {
    const type = scope.types.get(name);
    if (type === undefined) continue;
    report(d, "target-io-type", target.checkGraphIo(kind, name, type), { value: name });
  }
}

/** Opsets newer than the target reads (each domain once). */
function reportScopeOpsets(
  scope: GraphScope,
  target: TargetSupport,
  d: DiagnosticBag,
  reported: Set<string>,
): void {
  for (const [domain, version] of scope.opsets) {
    const max = target.maxOpset(domain);
    if (max === undefined || version <= max || reported.has(domain)) continue;
    reported.add(domain);
    d.error(
      "target-opset",
      `${target.id} supports ${domain || "ai.onnx"} up to opset ${max}; the model imports ${version}`,
      { hint: `convert the model to opset ${max} or upgrade the runtime` },
    );
  }
}

export function validateTarget(ctx: ValidationContext, target: TargetSupport): void {
  const d = ctx.diagnostics;
  const ir = Number(ctx.proto.irVersion);
  if (ir > target.maxIrVersion) {
    d.error(
      "target-ir-version",
      `${target.id} reads IR versions up to ${target.maxIrVersion}; the model is IR ${ir}`,
      {
        hint: "re-export with an older exporter, or upgrade the runtime",
      },
    );
  }
  const opsetReported = new Set<string>();
  if (target.checkModel) {
    for (const scope of ctx.scopes) reportScopeOpsets(scope, target, d, opsetReported);
    for (const p of target.checkModel(ctx.proto)) {
      const node =
        p.node !== undefined
          ? { name: p.node, opType: p.opType ?? "", domain: "", graph: "main" }
          : undefined;
      d.error("target-unsupported", p.reason, { node, hint: p.hint });
    }
    return;
  }
  for (const scope of ctx.scopes) {
    reportScopeOpsets(scope, target, d, opsetReported);
    for (const node of scope.graph.nodes) {
      if (ctx.functions.has(`${node.domain}::${node.opType}`)) continue; // its body is checked as its own scope
      const domain = normalizeDomain(node.domain);
      const opset = scope.opsets.get(domain);
      if (opset === undefined) continue; // already an error from validate-nodes
      if (opsetReported.has(domain)) continue;
      const schema = resolveNodeSchema(scope, node);
      const types: Record<string, string | undefined> = {};
      if (schema) {
        const bind = (names: string[], formals: typeof schema.inputs) =>
          names.forEach((n, i) => {
            const f = formalAt(formals, i);
            if (!f || n === "" || !isTypeParam(schema, f.type) || types[f.type] !== undefined) return;
            if (f.option === "variadic" && !f.homogeneous) return;
            types[f.type] = scope.types.get(n);
          });
        bind(node.inputs, schema.inputs);
        bind(node.outputs, schema.outputs);
      }
      const answer = target.check({
        domain,
        opType: node.opType,
        sinceVersion: schema?.sinceVersion,
        opsetVersion: opset,
        types,
        attributes: nodeAttributes(node),
      });
      report(d, "target-unsupported", answer, { node: nodeRef(scope, node) });
    }
  }
  // After the nodes: a missing kernel stops the runtime before it looks at the graph's inputs/outputs.
  const main = ctx.scopes.find((s) => s.isMain);
  if (main) validateGraphIo(main, target, d);
}
