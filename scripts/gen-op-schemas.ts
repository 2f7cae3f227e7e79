/**
 * Generates src/ops/schema/onnx.generated.ts from the ONNX operator changelogs in fixtures/onnx-spec.
 *
 * The changelog lists every version of every operator, so it is the one source that gives the schema in
 * force at any opset. The parser is strict on purpose: a line it does not understand stops the run with
 * the file, line and op, because a silently skipped line would become a wrong table row.
 *
 *   npx tsx scripts/gen-op-schemas.ts
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { AttrSchema, AttrType, FormalParam, OpSchema, TypeConstraint } from "../src/ops/schema/types.js";

export const SPEC_FILES = ["fixtures/onnx-spec/Changelog.md", "fixtures/onnx-spec/Changelog-ml.md"] as const;
export const OUTPUT_FILE = "src/ops/schema/onnx.generated.ts";
const INF = Number.MAX_SAFE_INTEGER;

export class SpecParseError extends Error {
  constructor(file: string, line: number, op: string | undefined, message: string, text: string) {
    super(`${file}:${line}${op ? ` (${op})` : ""}: ${message}\n  > ${text}`);
    this.name = "SpecParseError";
  }
}

const DOMAIN_HEADINGS: Record<string, string> = {
  "ai.onnx (default)": "",
  "ai.onnx.preview": "ai.onnx.preview",
  "ai.onnx.preview.training": "ai.onnx.preview.training",
  "ai.onnx.ml": "ai.onnx.ml",
};

const ATTR_TYPES: Record<string, AttrType> = {
  int: "int",
  float: "float",
  string: "string",
  tensor: "tensor",
  graph: "graph",
  sparse_tensor: "sparse_tensor",
  type_proto: "type_proto",
  "list of ints": "ints",
  "list of floats": "floats",
  "list of strings": "strings",
  "list of tensors": "tensors",
  "list of graphs": "graphs",
  "list of sparse_tensors": "sparse_tensors",
  "list of type_protos": "type_protos",
};

const PARAM_FLAGS = new Set([
  "optional",
  "variadic",
  "heterogeneous",
  "differentiable",
  "non-differentiable",
]);
const NAMED_ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
};

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, body: string) => {
    if (body.startsWith("#x")) return String.fromCodePoint(parseInt(body.slice(2), 16));
    if (body.startsWith("#")) return String.fromCodePoint(parseInt(body.slice(1), 10));
    return NAMED_ENTITIES[body] ?? whole;
  });
}

/** Splits "a(b, c), d" on the commas that are not inside parentheses. */
function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "(") depth++;
    else if (s[i] === ")") depth--;
    else if (s[i] === "," && depth === 0) {
      parts.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(s.slice(start).trim());
  return parts;
}

const ELEM = /^[a-z][a-z0-9]*$/;

/** tensor(float) | sparse_tensor(int8) | seq(T) | optional(T) | map(key, T), elements as ONNX names them. */
export function isTypeString(s: string): boolean {
  const m = /^(tensor|sparse_tensor|seq|optional|map)\((.*)\)$/.exec(s);
  if (!m) return false;
  const [, ctor, inner] = m;
  if (ctor === "tensor" || ctor === "sparse_tensor") return ELEM.test(inner);
  if (ctor === "map") {
    const kv = splitTopLevel(inner);
    // The spec prints map values as bare element names: "map(int64, float)".
    return kv.length === 2 && ELEM.test(kv[0]) && (ELEM.test(kv[1]) || isTypeString(kv[1]));
  }
  return isTypeString(inner);
}

type Section = "preamble" | "description" | "version" | "attributes" | "inputs" | "outputs" | "types";
const SECTION_HEADINGS: Record<string, Section> = {
  Version: "version",
  Attributes: "attributes",
  Inputs: "inputs",
  Outputs: "outputs",
  "Type Constraints": "types",
};

interface OpDraft {
  schema: OpSchema;
  label: string;
  line: number;
  /** Sections already opened, and those whose <dl> list was already given (each at most once). */
  seen: Set<Section>;
  listed: Set<Section>;
  sectionLines: Map<Section, number>;
  versionText?: { deprecated: boolean };
  headingDeprecated: boolean;
  inputRange?: [number, number];
  outputRange?: [number, number];
}

/** ONNX's own rule (OpSchema::Finalize): a single param raises the minimum to its position. */
function arityOf(params: FormalParam[]): [number, number] {
  let min = 0;
  let max = 0;
  for (const p of params) {
    max++;
    if (p.option === "single") min = max;
    if (p.option === "variadic") return [max, INF];
  }
  return [min, max];
}

export function parseChangelog(text: string, file: string): OpSchema[] {
  const lines = text.split(/\r?\n/);
  const out: OpSchema[] = [];
  let domain: string | undefined;
  let domainVersion = 0;
  let op: OpDraft | undefined;
  let section: Section = "preamble";
  let inDl = false;
  let inDd = false;
  let lineNo = 0;
  let line = "";

  const fail = (message: string): never => {
    throw new SpecParseError(file, lineNo, op?.label, message, line);
  };
  /** For checks made when an op ends: point at the line the problem belongs to. */
  const failAt = (at: number, message: string): never => {
    lineNo = at;
    line = lines[at - 1];
    return fail(message);
  };

  const finishOp = (): void => {
    if (!op) return;
    if (inDl) fail("unterminated <dl>");
    const s = op.schema;
    if (!op.versionText) failAt(op.line, 'op has no "#### Version" statement');
    if (op.versionText!.deprecated !== op.headingDeprecated) {
      failAt(op.line, "heading and version text disagree on deprecation");
    }
    [s.minInputs, s.maxInputs] = checkArity(s.inputs, op.inputRange, "inputs");
    [s.minOutputs, s.maxOutputs] = checkArity(s.outputs, op.outputRange, "outputs");
    out.push(s);
    op = undefined;
  };

  const checkArity = (
    params: FormalParam[],
    printed: [number, number] | undefined,
    what: "inputs" | "outputs",
  ) => {
    const at = op!.sectionLines.get(what) ?? op!.line;
    params.forEach((p, i) => {
      if (p.option === "variadic" && i !== params.length - 1)
        failAt(at, `variadic ${what.slice(0, -1)} "${p.name}" is not last`);
    });
    const [min, max] = arityOf(params);
    if (!printed) {
      if (min !== max) failAt(at, `no range printed but the ${what} allow ${min} - ${max}`);
      return [min, max] as const;
    }
    const [pMin, pMax] = printed;
    const variadic = max === INF;
    // A variadic param may declare its own minimum arity (Loop-16: 0), so only the finite cases must agree.
    const ok = variadic ? pMax === INF && pMin >= min - 1 : pMax === max && pMin === min;
    if (!ok) failAt(at, `printed range ${pMin} - ${pMax} does not fit the ${what} (${min} - ${max})`);
    return [pMin, pMax] as const;
  };

  const parseRange = (s: string | undefined): [number, number] | undefined => {
    if (s === undefined) return undefined;
    const m = /^\((\d+) - (\d+|∞)\)$/.exec(decodeEntities(s));
    if (!m) return fail(`cannot parse arity range "${s}"`);
    return [Number(m[1]), m[2] === "∞" ? INF : Number(m[2])];
  };

  for (let i = 0; i < lines.length; i++) {
    lineNo = i + 1;
    line = lines[i];
    if (inDd) {
      if (/^#{1,4} /.test(line)) fail("heading inside an unterminated <dd>");
      if (line.endsWith("</dd>")) inDd = false;
      continue;
    }
    let m: RegExpExecArray | null;
    if ((m = /^# (.+)$/.exec(line))) {
      finishOp();
      if (!(m[1] in DOMAIN_HEADINGS)) fail(`unknown domain heading "${m[1]}"`);
      domain = DOMAIN_HEADINGS[m[1]];
      domainVersion = 0;
      section = "preamble";
    } else if ((m = /^## (.+)$/.exec(line))) {
      finishOp();
      section = "preamble";
      if (m[1] === "Operator Changelog" && domain === undefined) continue;
      const v = /^Version (\d+) of the (?:default ONNX|'([a-z.]+)') operator set$/.exec(m[1]);
      if (!v || domain === undefined) fail('unexpected "##" heading');
      if ((v![2] ?? "") !== domain) fail(`version heading for domain "${v![2] ?? ""}" inside "${domain}"`);
      domainVersion = Number(v![1]);
    } else if (line.startsWith("### ")) {
      finishOp();
      m = /^### <a name="([^"]+)"><\/a>\*\*([^*]+)\*\*( \(deprecated\))?<\/a>$/.exec(line);
      if (!m) fail("cannot parse op heading");
      const [, anchor, title, dep] = m!;
      if (anchor !== title) fail(`anchor "${anchor}" differs from title "${title}"`);
      if (domain === undefined || domainVersion === 0) fail("op heading outside a domain version section");
      const prefix = domain ? `${domain}.` : "";
      const nv = /^([A-Za-z][A-Za-z0-9_]*)-(\d+)$/.exec(
        title.startsWith(prefix) ? title.slice(prefix.length) : "",
      );
      if (!nv) fail(`cannot parse "${title}" as ${prefix}Name-Version`);
      const sinceVersion = Number(nv![2]);
      if (sinceVersion !== domainVersion) fail(`${title} listed under version ${domainVersion}`);
      op = {
        schema: {
          domain: domain!,
          name: nv![1],
          sinceVersion,
          deprecated: dep !== undefined,
          inputs: [],
          outputs: [],
          minInputs: 0,
          maxInputs: 0,
          minOutputs: 0,
          maxOutputs: 0,
          attributes: [],
          typeConstraints: [],
        },
        label: `${domain || "ai.onnx"}:${nv![1]}-${sinceVersion}`,
        line: lineNo,
        seen: new Set(),
        listed: new Set(),
        sectionLines: new Map(),
        headingDeprecated: dep !== undefined,
      };
      section = "description";
    } else if ((m = /^#### (Version|Attributes|Inputs|Outputs|Type Constraints)(?: (\(.*\)))?$/.exec(line))) {
      if (!op) fail("section heading outside an op");
      if (inDl) fail("section heading inside an unterminated <dl>");
      section = SECTION_HEADINGS[m[1]];
      if (op!.seen.has(section)) fail(`duplicate "${m[1]}" section`);
      op!.seen.add(section);
      op!.sectionLines.set(section, lineNo);
      if (m[2] !== undefined && section !== "inputs" && section !== "outputs") fail("unexpected range");
      if (section === "inputs") op!.inputRange = parseRange(m[2]);
      if (section === "outputs") op!.outputRange = parseRange(m[2]);
    } else if (/^#+ /.test(line)) {
      fail("unrecognised heading");
    } else if (section === "preamble" || section === "description") {
      continue; // free prose
    } else if (section === "version") {
      if (line.trim() === "") continue;
      if (op!.versionText) fail("second statement in the Version section");
      if (line === "No versioning maintained for experimental ops.") {
        op!.versionText = { deprecated: false };
        continue;
      }
      const v =
        /^This version of the operator has been (available|deprecated) since version (\d+) of the (?:default ONNX|'([a-z.]+)') operator set\.$/.exec(
          line,
        );
      if (!v) fail("cannot parse Version statement");
      if (Number(v![2]) !== op!.schema.sinceVersion || (v![3] ?? "") !== domain) {
        fail("Version statement names a different version or domain than the heading");
      }
      op!.versionText = { deprecated: v![1] === "deprecated" };
    } else if (line.trim() === "") {
      continue;
    } else if (line === "<dl>") {
      if (inDl || op!.listed.has(section)) fail("unexpected <dl>");
      inDl = true;
      op!.listed.add(section);
    } else if (line === "</dl>") {
      if (!inDl) fail("</dl> without <dl>");
      inDl = false;
    } else if (line.startsWith("<dd>")) {
      if (!inDl) fail("<dd> outside <dl>");
      inDd = !line.endsWith("</dd>");
    } else if (line.startsWith("<dt>")) {
      if (!inDl) fail("<dt> outside <dl>");
      parseDt(op!.schema, section, decodeEntities(line), fail);
    } else {
      fail(`unexpected line in the ${section} section`);
    }
  }
  lineNo = lines.length;
  if (inDd) fail("unterminated <dd> at end of file");
  finishOp();
  return out;
}

function parseDt(s: OpSchema, section: Section, line: string, fail: (msg: string) => never): void {
  if (section === "attributes") {
    const m =
      /^<dt><tt>([A-Za-z_][A-Za-z0-9_]*)<\/tt> : ([a-z_ ]+?)(?: \((required|default is (.*))\))?<\/dt>$/.exec(
        line,
      );
    if (!m) fail("cannot parse attribute");
    const [, name, typeText, flag, defText] = m!;
    const type = ATTR_TYPES[typeText] ?? fail(`unknown attribute type "${typeText}"`);
    if (s.attributes.some((a) => a.name === name)) fail(`duplicate attribute "${name}"`);
    const attr: AttrSchema = { name, type, required: flag === "required" };
    if (defText !== undefined) attr.default = parseDefault(type, defText, fail);
    s.attributes.push(attr);
  } else if (section === "inputs" || section === "outputs") {
    const m = /^<dt><tt>([A-Za-z_][A-Za-z0-9_.]*)<\/tt>(?: \(([a-z, -]+)\))? : (\S+)<\/dt>$/.exec(line);
    if (!m) fail(`cannot parse ${section.slice(0, -1)}`);
    const [, name, flagText, type] = m!;
    const flags = flagText ? flagText.split(", ") : [];
    for (const f of flags) if (!PARAM_FLAGS.has(f)) fail(`unknown param flag "${f}"`);
    const has = (f: string) => flags.includes(f);
    if (has("optional") && has("variadic")) fail("param is both optional and variadic");
    if (has("heterogeneous") && !has("variadic")) fail("heterogeneous param is not variadic");
    if (type.includes("(") && !isTypeString(type)) fail(`cannot parse type "${type}"`);
    if (!type.includes("(") && !/^[A-Za-z][A-Za-z0-9_]*$/.test(type)) fail(`cannot parse type "${type}"`);
    const option = has("optional") ? "optional" : has("variadic") ? "variadic" : "single";
    const param: FormalParam = { name, type, option, homogeneous: !has("heterogeneous") };
    (section === "inputs" ? s.inputs : s.outputs).push(param);
  } else if (section === "types") {
    const m = /^<dt><tt>([A-Za-z][A-Za-z0-9_]*)<\/tt> : (.+)<\/dt>$/.exec(line);
    if (!m) fail("cannot parse type constraint");
    const allowed = splitTopLevel(m![2]);
    for (const t of allowed) if (!isTypeString(t)) fail(`cannot parse allowed type "${t}"`);
    if (s.typeConstraints.some((c) => c.param === m![1])) fail(`duplicate type constraint "${m![1]}"`);
    const tc: TypeConstraint = { param: m![1], allowed };
    s.typeConstraints.push(tc);
  } else {
    fail("<dt> in an unexpected section");
  }
}

const NUMBER = /^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

function parseDefault(type: AttrType, text: string, fail: (msg: string) => never): AttrSchema["default"] {
  const num = (t: string, int: boolean): number => {
    const u = t.replace(/^\((.*)\)$/, "$1").replace(/^'(.*)'$/, "$1");
    if (!(int ? /^-?\d+$/ : NUMBER).test(u)) fail(`cannot parse ${type} default "${text}"`);
    return Number(u);
  };
  const list = (): string[] => {
    const m = /^\[(.*)\]$/.exec(text);
    if (!m) return fail(`cannot parse ${type} default "${text}"`);
    return m[1].trim() === "" ? [] : m[1].split(",").map((x) => x.trim());
  };
  switch (type) {
    case "int":
      return num(text, true);
    case "float":
      return num(text, false);
    case "string":
      return text;
    case "ints":
      return list().map((x) => num(x, true));
    case "floats":
      return list().map((x) => num(x, false));
    case "strings":
      return list().map((x) => /^'(.*)'$/.exec(x)?.[1] ?? fail(`cannot parse strings default "${text}"`));
    default:
      return fail(`a default for a ${type} attribute is not supported`);
  }
}

/** Code-unit order, not localeCompare: the output must not depend on the machine's locale. */
function compareSchemas(a: OpSchema, b: OpSchema): number {
  if (a.domain !== b.domain) return a.domain < b.domain ? -1 : 1;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.sinceVersion - b.sinceVersion;
}

/** Literal source for a value: JSON-like, unquoted keys, INF for "unbounded", -0 kept. */
function literal(v: unknown): string {
  if (typeof v === "number") return v === INF ? "INF" : Object.is(v, -0) ? "-0" : String(v);
  if (typeof v === "string" || typeof v === "boolean") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(literal).join(", ")}]`;
  if (v !== null && typeof v === "object") {
    const fields = Object.entries(v).filter(([, x]) => x !== undefined);
    return `{ ${fields.map(([k, x]) => `${k}: ${literal(x)}`).join(", ")} }`;
  }
  throw new Error(`cannot emit ${String(v)}`);
}

export function generateSchemaSource(changelogText: string, mlChangelogText: string): string {
  const schemas = [
    ...parseChangelog(changelogText, "Changelog.md"),
    ...parseChangelog(mlChangelogText, "Changelog-ml.md"),
  ].sort(compareSchemas);
  for (let i = 1; i < schemas.length; i++) {
    if (compareSchemas(schemas[i - 1], schemas[i]) === 0) {
      const s = schemas[i];
      throw new Error(`duplicate schema ${s.domain || "ai.onnx"}:${s.name}-${s.sinceVersion}`);
    }
  }
  return [
    `// generated by scripts/gen-op-schemas.ts from ${SPEC_FILES.join(" and ")} — do not edit.`,
    "// Regenerate with `npm run gen:schemas`.",
    'import type { OpSchema } from "./types.js";',
    "",
    "const INF = Number.MAX_SAFE_INTEGER;",
    "",
    "export const ONNX_SCHEMAS: readonly OpSchema[] = [",
    ...schemas.map((s) => `  ${literal(s)},`),
    "];",
    "",
  ].join("\n");
}

export function repoRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), "..");
}

export function readSpecs(root = repoRoot()): [string, string] {
  const [main, ml] = SPEC_FILES.map((f) => readFileSync(join(root, f), "utf8"));
  return [main, ml];
}

function main(): void {
  const root = repoRoot();
  const source = generateSchemaSource(...readSpecs(root));
  const out = join(root, OUTPUT_FILE);
  // Write beside the target and rename, so a failed run never leaves half a table behind.
  writeFileSync(`${out}.tmp`, source);
  renameSync(`${out}.tmp`, out);
  const rows = source.split("\n").filter((l) => l.startsWith("  { ")).length;
  console.log(`wrote ${OUTPUT_FILE}: ${rows} schemas, ${source.length} characters`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    main();
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
