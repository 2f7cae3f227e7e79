/**
 * Config text → plain data, with limits that keep a hostile or mistaken file from hanging or
 * exhausting memory: a size cap (a real config is a few KiB), the yaml package's alias-expansion
 * limit (alias bombs), duplicate keys found in one pass with a Set per mapping (the parser's own
 * check compares each key with every earlier one: 100k keys took 94 s), and a nesting-depth cap.
 * Every refusal is a UserError naming the file, the line and the key path.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from "yaml";
import { UserError } from "../errors.js";
import { formatBytes } from "../read-regular-file.js";

/** mlpack.yaml files are a few KiB; a MiB leaves room for long lists of shapes or exclusions. */
export const MAX_CONFIG_BYTES = 1 << 20;
/** The yaml package's own default, stated here so the README and the check agree. */
export const MAX_CONFIG_ALIASES = 100;
/** Deepest nesting of lists and mappings; the schema itself needs 4. */
export const MAX_CONFIG_DEPTH = 64;

const HINT = "check indentation and quoting";

export function parseConfigText(text: string, file: string): unknown {
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > MAX_CONFIG_BYTES)
    throw new UserError(
      `${file}: ${formatBytes(bytes)} is over the ${formatBytes(MAX_CONFIG_BYTES)} limit for a config file`,
      { hint: "a config names files and settings; is this the right file?" },
    );
  const data = file.endsWith(".json") ? parseJson(text, file) : parseYaml(text, file);
  checkDepth(data, file);
  return data;
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new UserError(`${file}: not valid JSON (${(e as Error).message})`, {
      hint: "check brackets, commas and quotes",
    });
  }
}

function tooDeep(file: string): UserError {
  return new UserError(`${file}: lists and mappings are nested too deeply (limit ${MAX_CONFIG_DEPTH})`, {
    hint: "a config nests a few levels; the file is corrupt or not an mlpack config",
  });
}

function parseYaml(text: string, file: string): unknown {
  const lines = new LineCounter();
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(text, { prettyErrors: true, uniqueKeys: false, lineCounter: lines });
  } catch (e) {
    if (e instanceof RangeError) throw tooDeep(file);
    throw e;
  }
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    if (/call stack/i.test(e.message)) throw tooDeep(file);
    const at = e.linePos?.[0] ? `:${e.linePos[0].line}:${e.linePos[0].col}` : "";
    throw new UserError(
      `${file}${at}: not valid YAML (${e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")})`,
      { hint: HINT },
    );
  }
  checkDuplicateKeys(doc.contents as Node | null, file, lines);
  try {
    return doc.toJS({ maxAliasCount: MAX_CONFIG_ALIASES }) as unknown;
  } catch (e) {
    if (e instanceof RangeError) throw tooDeep(file);
    if (e instanceof ReferenceError && /alias/i.test(e.message))
      throw new UserError(
        `${file}: YAML aliases (*name) expand too much (over ${MAX_CONFIG_ALIASES} copies); refused as a possible alias bomb`,
        { hint: "write the repeated values out, or use fewer aliases" },
      );
    throw new UserError(`${file}: not valid YAML (${(e as Error).message})`, { hint: HINT });
  }
}

function joinPath(parent: string, key: string): string {
  if (/^\[\d+\]$/.test(key)) return parent + key;
  return parent ? `${parent}.${key}` : key;
}

/** One pass over every mapping, iteratively (no recursion on hostile depth). */
function checkDuplicateKeys(root: Node | null, file: string, lines: LineCounter): void {
  const stack: { node: unknown; path: string; depth: number }[] = [{ node: root, path: "", depth: 0 }];
  while (stack.length > 0) {
    const { node, path, depth } = stack.pop()!;
    if (depth > MAX_CONFIG_DEPTH) throw tooDeep(file);
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = pair.key;
        const name = isScalar(key) ? String(key.value) : isAlias(key) ? `*${key.source}` : "(complex key)";
        const where = joinPath(path, name);
        if (isScalar(key) || isAlias(key)) {
          if (seen.has(name)) {
            const pos = key.range ? lines.linePos(key.range[0]) : undefined;
            throw new UserError(
              `${file}${pos ? `:${pos.line}:${pos.col}` : ""}: key "${where}" appears more than once`,
              { hint: "keep one of them; YAML does not allow repeated keys in a mapping" },
            );
          }
          seen.add(name);
        }
        stack.push({ node: pair.value, path: where, depth: depth + 1 });
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => stack.push({ node: item, path: `${path}[${i}]`, depth: depth + 1 }));
    }
  }
}

/** Iterative depth check of parsed data (JSON.parse accepts any depth). */
function checkDepth(data: unknown, file: string): void {
  const stack: [unknown, number][] = [[data, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth >= MAX_CONFIG_DEPTH) throw tooDeep(file);
    for (const child of Array.isArray(v) ? v : Object.values(v as object)) stack.push([child, depth + 1]);
  }
}
