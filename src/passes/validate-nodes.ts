/** Each node against its op schema: known op and version, arity, attributes, type constraints. */
import type { AttributeProto } from "../onnx/proto.js";
import type { Node } from "../ir/graph.js";
import type { AttrType, OpSchema } from "../ops/schema/types.js";
import {
  resolveSchema,
  schemaVersions,
  normalizeDomain,
  hasOp,
  knownDomains,
} from "../ops/schema/registry.js";
import { formalAt } from "./infer-types.js";
import { normalizeType } from "../ir/types.js";
import { nodeRef, type GraphScope, type ValidationContext } from "./validate-context.js";
import type { DiagnosticNode } from "../diagnostics.js";

const ATTR_TYPE_NAMES: Record<number, AttrType> = {
  1: "float",
  2: "int",
  3: "string",
  4: "tensor",
  5: "graph",
  6: "floats",
  7: "ints",
  8: "strings",
  9: "tensors",
  10: "graphs",
  11: "sparse_tensor",
  12: "sparse_tensors",
  13: "type_proto",
  14: "type_protos",
};

/** The attribute's declared type, or (IR < 2 files without the discriminator) the field that is set. */
export function attributeType(a: AttributeProto): AttrType | undefined {
  if (a.type !== 0) return ATTR_TYPE_NAMES[a.type];
  if (a.t) return "tensor";
  if (a.g) return "graph";
  if (a.sparseTensor) return "sparse_tensor";
  if (a.tp) return "type_proto";
  if (a.floats.length) return "floats";
  if (a.ints.length) return "ints";
  if (a.strings.length) return "strings";
  if (a.tensors.length) return "tensors";
  if (a.graphs.length) return "graphs";
  if (a.s.length) return "string";
  if (a.i !== 0n) return "int";
  if (a.f !== 0) return "float";
  return undefined;
}

export function resolveNodeSchema(scope: GraphScope, node: Node): OpSchema | undefined {
  const domain = normalizeDomain(node.domain);
  const opset = scope.opsets.get(domain);
  return opset === undefined ? undefined : resolveSchema(domain, node.opType, opset);
}

export function validateNodes(ctx: ValidationContext): void {
  const known = new Set(knownDomains());
  const reportedUnchecked = new Set<string>();
  for (const scope of ctx.scopes) {
    const nodes = scope.graph.nodes;
    for (let index = 0; index < nodes.length; index++) {
      const node = nodes[index];
      // The node's reference (an object, and a "#index" string for unnamed nodes) is made only when
      // a diagnostic names it: making one per node and check was a large share of validate's garbage.
      let cached: DiagnosticNode | undefined;
      const ref = () => (cached ??= nodeRef(scope, node, index));
      const d = ctx.diagnostics;
      const domain = normalizeDomain(node.domain);
      const label = domain || "ai.onnx";
      const opset = scope.opsets.get(domain);
      if (opset === undefined) {
        d.error("missing-opset-import", `domain "${label}" is used but not imported`, {
          node: ref(),
          hint: `add an opset_import entry for "${label}"`,
        });
        continue;
      }
      // No "domain::op" string per node when the model defines no functions (most models).
      if (ctx.functions.size > 0 && ctx.functions.has(`${node.domain}::${node.opType}`)) continue;
      if (!known.has(domain)) {
        const key = `${domain}::${node.opType}`;
        if (!reportedUnchecked.has(key)) {
          reportedUnchecked.add(key);
          d.info(
            "unchecked-op",
            `custom op ${key} has no schema in mlpack; its inputs and attributes are not checked`,
            { node: ref() },
          );
        }
        continue;
      }
      const schema = resolveSchema(domain, node.opType, opset);
      if (!schema) {
        reportUnknownOp(ctx, node, ref, domain, opset);
        continue;
      }
      if (schema.deprecated) {
        d.error(
          "deprecated-op",
          `${node.opType}-${schema.sinceVersion} is deprecated in ${label} opset ${opset}`,
          {
            node: ref(),
            hint: `use the op that replaced it (see the ONNX changelog), or import an older opset`,
          },
        );
      }
      checkArity(ctx, node, ref, schema);
      checkAttributes(ctx, scope, node, ref, schema);
      checkTypes(ctx, scope, node, ref, schema);
    }
  }
}

type RefOf = () => DiagnosticNode;

function reportUnknownOp(
  ctx: ValidationContext,
  node: Node,
  refOf: RefOf,
  domain: string,
  opset: number,
): void {
  const ref = refOf();
  const label = domain || "ai.onnx";
  const versions = schemaVersions(domain, node.opType);
  if (versions.length > 0) {
    ctx.diagnostics.error(
      "op-not-in-opset",
      `${node.opType} first appears in ${label} opset ${versions[0].sinceVersion}; the model imports opset ${opset}`,
      {
        node: ref,
        hint: `raise the ${label} opset import to ${versions[0].sinceVersion} or later (and convert the model)`,
      },
    );
    return;
  }
  const elsewhere = knownDomains().filter((dm) => dm !== domain && hasOp(dm, node.opType));
  ctx.diagnostics.error("unknown-op", `${label} has no op named "${node.opType}"`, {
    node: ref,
    hint: elsewhere.length
      ? `${node.opType} exists in domain "${elsewhere[0] || "ai.onnx"}"; set the node's domain to it`
      : "check the spelling (op names are case-sensitive) or register a custom domain",
  });
}

function checkArity(ctx: ValidationContext, node: Node, ref: RefOf, s: OpSchema): void {
  const d = ctx.diagnostics;
  const range = (min: number, max: number) =>
    max >= Number.MAX_SAFE_INTEGER ? `at least ${min}` : min === max ? `${min}` : `${min} to ${max}`;
  const check = (
    kind: "input" | "output",
    actual: string[],
    formals: OpSchema["inputs"],
    min: number,
    max: number,
  ) => {
    // Trailing empty names are omitted optional values.
    let count = actual.length;
    while (count > 0 && actual[count - 1] === "") count--;
    if (count < min || count > max) {
      d.error(
        `${kind}-count`,
        `${node.opType}-${s.sinceVersion} takes ${range(min, max)} ${kind}s, the node has ${count}`,
        {
          node: ref(),
          hint: `see the ${node.opType} signature: ${formals.map((f) => f.name + (f.option === "optional" ? "?" : f.option === "variadic" ? "..." : "")).join(", ")}`,
        },
      );
      return;
    }
    for (let i = 0; i < count; i++) {
      const f = formalAt(formals, i);
      if (f && f.option === "single" && actual[i] === "") {
        d.error(`missing-${kind}`, `required ${kind} "${f.name}" (#${i}) is empty`, {
          node: ref(),
          hint: `connect a value to ${f.name}`,
        });
      }
    }
  };
  check("input", node.inputs, s.inputs, s.minInputs, s.maxInputs);
  check("output", node.outputs, s.outputs, s.minOutputs, s.maxOutputs);
}

/** What the per-node checks look up in a schema, built once per schema rather than once per node. */
interface SchemaTables {
  attrs: Map<string, OpSchema["attributes"][number]>;
  /** The unknown-attribute hint. */
  attrHint: string;
  /** Type parameter -> its allowed types, normalized (empty when the spec lists none). */
  allowed: Map<string, { list: string[]; normalized: Set<string> }>;
}
const tables = new WeakMap<OpSchema, SchemaTables>();

function schemaTables(s: OpSchema): SchemaTables {
  let t = tables.get(s);
  if (!t) {
    const allowed = new Map<string, { list: string[]; normalized: Set<string> }>();
    for (const c of s.typeConstraints) {
      // The first constraint for a parameter wins, as the find() this replaces did.
      if (!allowed.has(c.param))
        allowed.set(c.param, { list: c.allowed, normalized: new Set(c.allowed.map(normalizeType)) });
    }
    t = {
      attrs: new Map(s.attributes.map((a) => [a.name, a])),
      attrHint: s.attributes.length
        ? `its attributes are: ${s.attributes.map((x) => x.name).join(", ")}`
        : `${s.name} takes no attributes; remove it`,
      allowed,
    };
    tables.set(s, t);
  }
  return t;
}

function checkAttributes(
  ctx: ValidationContext,
  scope: GraphScope,
  node: Node,
  refOf: RefOf,
  s: OpSchema,
): void {
  const d = ctx.diagnostics;
  const { attrs: byName, attrHint } = schemaTables(s);
  const list = node.attributes;
  // Names given so far: a scan over the usual few attributes, a Set when a node has many.
  const seenSet = list.length > 8 ? new Set<string>() : undefined;
  const seenBefore = (name: string, k: number) => {
    if (seenSet) return seenSet.has(name);
    for (let j = 0; j < k; j++) if (list[j].name === name) return true;
    return false;
  };
  for (let k = 0; k < list.length; k++) {
    const a = list[k];
    if (seenBefore(a.name, k))
      d.error("duplicate-attribute", `attribute "${a.name}" is given twice`, {
        node: refOf(),
        hint: "keep one",
      });
    seenSet?.add(a.name);
    if (a.refAttrName && !scope.isFunction) {
      d.error(
        "attribute-reference",
        `attribute "${a.name}" refers to "${a.refAttrName}", which only a function body may do`,
        { node: refOf() },
      );
      continue;
    }
    const spec = byName.get(a.name);
    if (!spec) {
      d.error("unknown-attribute", `${node.opType}-${s.sinceVersion} has no attribute "${a.name}"`, {
        node: refOf(),
        hint: s.attributes.length ? attrHint : `${node.opType} takes no attributes; remove it`,
      });
      continue;
    }
    const actual = attributeType(a);
    if (a.refAttrName) continue;
    if (actual !== spec.type) {
      d.error(
        "attribute-type",
        `attribute "${a.name}" is ${actual ?? "empty"}, ${node.opType} expects ${spec.type}`,
        {
          node: refOf(),
          hint: `store it as ${spec.type}`,
        },
      );
    }
  }
  for (const spec of s.attributes) {
    if (spec.required && !(seenSet ? seenSet.has(spec.name) : seenBefore(spec.name, list.length))) {
      d.error("missing-attribute", `required attribute "${spec.name}" (${spec.type}) is missing`, {
        node: refOf(),
        hint: `add attribute "${spec.name}" (${spec.type}) to the node`,
      });
    }
  }
}

/**
 * Type parameter -> the first type bound to it, and the value that bound it. One instance, reset
 * per node: the first binding in fields (most ops bind one parameter), more in a Map, so that the
 * usual node allocates nothing here.
 */
class Bindings {
  param: string | undefined;
  type = "";
  name = "";
  more: Map<string, { type: string; name: string }> | undefined;
  reset(): void {
    this.param = undefined;
    this.more = undefined;
  }
  get(param: string): { type: string; name: string } | undefined {
    return param === this.param ? this : this.more?.get(param);
  }
  set(param: string, type: string, name: string): void {
    if (this.param === undefined) [this.param, this.type, this.name] = [param, type, name];
    else (this.more ??= new Map()).set(param, { type, name });
  }
}
const bindings = new Bindings();

function checkTypes(ctx: ValidationContext, scope: GraphScope, node: Node, refOf: RefOf, s: OpSchema): void {
  const tables = schemaTables(s);
  bindings.reset();
  const { inputs, outputs } = node;
  for (let i = 0; i < inputs.length; i++)
    checkType(ctx, scope, node, refOf, s, tables, "input", inputs[i], i, s.inputs);
  for (let i = 0; i < outputs.length; i++)
    checkType(ctx, scope, node, refOf, s, tables, "output", outputs[i], i, s.outputs);
}

function checkType(
  ctx: ValidationContext,
  scope: GraphScope,
  node: Node,
  refOf: RefOf,
  s: OpSchema,
  tables: SchemaTables,
  kind: string,
  name: string,
  index: number,
  formals: OpSchema["inputs"],
): void {
  const d = ctx.diagnostics;
  const type = name === "" ? undefined : scope.types.get(name);
  if (!type) return;
  const f = formalAt(formals, index);
  if (!f) return;
  const t = normalizeType(type);
  const constraint = tables.allowed.get(f.type);
  if (!constraint) {
    if (normalizeType(f.type) !== t) {
      d.error(
        "type-constraint",
        `${kind} "${f.name}" ("${name}") is ${type}, ${node.opType} requires ${f.type}`,
        {
          node: refOf(),
          value: name,
          hint: `insert a Cast to ${f.type}`,
        },
      );
    }
    return;
  }
  const allowed = constraint.list;
  if (allowed.length > 0 && !constraint.normalized.has(t)) {
    d.error(
      "type-constraint",
      `${kind} "${f.name}" ("${name}") is ${type}, not allowed for ${f.type} of ${node.opType}-${s.sinceVersion}`,
      {
        node: refOf(),
        value: name,
        hint: `allowed: ${allowed.slice(0, 8).join(", ")}${allowed.length > 8 ? ", ..." : ""}; insert a Cast`,
      },
    );
    return;
  }
  if (f.option === "variadic" && !f.homogeneous) return;
  const prev = bindings.get(f.type);
  if (prev && prev.type !== t) {
    d.error(
      "type-mismatch",
      `${kind} "${f.name}" ("${name}") is ${type} but "${prev.name}" is ${prev.type}; both bind ${f.type}`,
      {
        node: refOf(),
        value: name,
        hint: "make both the same type (insert a Cast)",
      },
    );
  } else if (!prev) bindings.set(f.type, t, name);
}
