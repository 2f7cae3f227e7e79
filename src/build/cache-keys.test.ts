/**
 * Every config key, changed in turn: exactly the steps whose result depends on it get a new cache
 * key (and so rebuild), no other. The keys are walked from the generated schema, so a key added
 * later is exercised too; its expected steps come from the rules below (by section).
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { MlpackConfig } from "../config/types.js";
import { BuildCache, hashJson } from "./cache.js";
import { withShapes } from "./shapes.js";
import { benchStep } from "./steps/bench.js";
import { quantizeStep } from "./steps/quantize.js";
import { targetStep } from "./steps/target-step.js";
import { validateStep } from "./steps/validate.js";
import { TARGET_NAMES } from "./targets/registry.js";
import type { BuildManifest, StepContext } from "./types.js";
import { silentLogger } from "../log.js";
import { tempDir } from "../../test/helpers/tmp.js";

interface SchemaNode {
  $ref?: string;
  anyOf?: SchemaNode[];
  type?: string | string[];
  enum?: unknown[];
  items?: SchemaNode;
  properties?: Record<string, SchemaNode>;
}
const schema = createRequire(import.meta.url)("../../schema/mlpack.schema.json") as {
  definitions: Record<string, SchemaNode>;
};
const deref = (n: SchemaNode): SchemaNode => {
  if (n.$ref) return deref(schema.definitions[n.$ref.split("/").pop()!]);
  const obj = n.anyOf?.find((b) => b.$ref || b.properties);
  return obj ? deref(obj) : n;
};

/** Every leaf key path of the config (objects are walked, arrays and scalars are leaves). */
function leafPaths(node: SchemaNode, prefix: string[] = []): { path: string[]; node: SchemaNode }[] {
  const n = deref(node);
  if (!n.properties) return [{ path: prefix, node: n }];
  return Object.entries(n.properties).flatMap(([k, v]) => leafPaths(v, [...prefix, k]));
}

const dir = tempDir("mlpack-cache-keys-");
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
  fs.writeFileSync(path.join(dir, name), text);
  return name;
};
file("model.onnx", "float model bytes");
file("other.onnx", "another model");
file("calib/a.json", "[1]");
file("eval.json", "[2]");
file("baseline.json", "{}");
file("baseline2.json", '{"other":1}');

/** A config with every section, so each target's and shared step's key is computed. */
const full = (): MlpackConfig => ({
  model: "model.onnx",
  quantize: { mode: "static", calibration: "calib", eval: "eval.json", shapes: ["x=1,4"] },
  bench: { baseline: "baseline.json", batch: [1], shapes: ["x=1,4"] },
  targets: { docker: { base: "node:20-bookworm-slim" }, lambda: {}, tfjs: {}, kubernetes: {} },
  server: { workers: 1 },
});

/** A different value for a key: flipped, bumped, appended, or (unset) one of the schema's type. */
function another(current: unknown, node: SchemaNode, key: string[]): unknown {
  const k = key.join(".");
  if (k === "model") return "other.onnx";
  if (k === "bench.baseline") return "baseline2.json";
  if (typeof current === "boolean") return !current;
  if (typeof current === "number") return current + 1;
  if (typeof current === "string") return current + "-2";
  // A shape list: the same input, another shape (the case that once reused a stale bundle).
  if (Array.isArray(current) && typeof current[0] === "string" && current[0].includes("="))
    return [`${current[0].split("=")[0]}=1,8`];
  if (Array.isArray(current)) return [...(current as unknown[]), current[0] ?? "x=2"];
  if (node.enum) return node.enum[0];
  const type = Array.isArray(node.type) ? node.type[0] : node.type;
  if (type === "boolean") return true;
  if (type === "number" || type === "integer") return 7;
  if (type === "array") return [node.items?.enum?.[0] ?? "x=2,4"];
  return "value";
}

const ALL = ["validate", "quantize", "bench", ...TARGET_NAMES];
// kubernetes runs the docker image (its model) and reads the server section (port, workers, threads).
const ONNXRUNTIME = ["lambda", "docker", "kubernetes"];
/** Which steps a change of this key rebuilds. */
function expected(key: string[]): string[] {
  const k = key.join(".");
  if (k === "$schema" || k === "output") return []; // output: another folder, another cache
  if (k === "model") return ALL;
  if (k === "name") return ["quantize", "bench", ...TARGET_NAMES]; // file names in the int8 model, bench report, artifacts
  if (k === "version") return [...TARGET_NAMES];
  if (k === "targets.docker.push") return []; // push is its own step, always run when on
  // The ship step decides from these, after the benchmark: only the shipped model's bytes follow.
  if (k === "quantize.minSizeGain" || k === "quantize.require") return [];
  if (k === "bench.shapes") return ["validate", "bench", "tfjs"]; // the bundle's input shapes, which tfjs validates with
  if (key[0] === "quantize") return ["quantize", "bench", ...ONNXRUNTIME]; // a new int8 model ships
  if (key[0] === "bench") return ["bench"];
  if (key[0] === "targets") return [key[1]];
  // pipeline: composed before any step; every key holds the composed model's hash (sourceSha256),
  // which this harness keeps fixed — the build test in compose-config.test.ts covers a real change.
  if (key[0] === "pipeline") return [];
  if (key[0] === "server") return ONNXRUNTIME; // baked into the image's and the handler's config
  throw new Error(`no rule for config key ${k}: add one to expected()`);
}

async function keys(config: MlpackConfig): Promise<Record<string, string>> {
  const outDir = path.join(dir, "dist");
  const cache = new BuildCache(path.join(outDir, ".mlpack-cache"), true, outDir, [dir, outDir]);
  const sourceModel = path.join(dir, config.model);
  const sourceSha256 = await cache.fileHash(sourceModel);
  const ctx: StepContext = {
    config,
    configFile: path.join(dir, "mlpack.yaml"),
    configDir: dir,
    outDir,
    name: config.name ?? "model",
    version: config.version ?? "1",
    sourceModel,
    sourceSha256,
    shippedModel: sourceModel,
    shippedSha256: sourceSha256,
    cache,
    targets: [...TARGET_NAMES],
    log: { ...silentLogger, progress() {} },
    options: {},
    manifest: { artifacts: [] } as unknown as BuildManifest,
    resolve: (p) => cache.resolve(p),
    mlpackVersion: "test",
  };
  const out: Record<string, string> = {};
  out.validate = hashJson(await validateStep.cacheKey!(ctx));
  out.quantize = hashJson(await quantizeStep.cacheKey!(ctx));
  // The quantized model's bytes follow from the quantize step's inputs.
  ctx.shippedModel = path.join(outDir, `${ctx.name}.int8.onnx`);
  ctx.shippedSha256 = out.quantize;
  out.bench = hashJson(await benchStep.cacheKey!(ctx));
  for (const t of TARGET_NAMES) out[t] = hashJson(await targetStep(t).cacheKey!(ctx));
  return out;
}

function setIn(obj: Record<string, unknown>, key: string[], value: unknown): void {
  let cur = obj;
  for (const k of key.slice(0, -1)) cur = (cur[k] ??= {}) as Record<string, unknown>;
  cur[key.at(-1)!] = value;
}

function getIn(obj: unknown, key: string[]): unknown {
  return key.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);
}

describe("build cache keys", () => {
  const leaves = leafPaths(schema.definitions.MlpackConfig);

  it("walks every section of the schema", () => {
    const sections = new Set(
      leaves.map((l) => (l.path[0] === "targets" ? l.path.slice(0, 2) : l.path.slice(0, 1)).join(".")),
    );
    for (const s of ["model", "quantize", "bench", "server", ...TARGET_NAMES.map((t) => `targets.${t}`)])
      expect(sections).toContain(s);
  });

  it("a change of each config key rebuilds exactly the steps that depend on it", async () => {
    const before = await keys(full());
    expect(await keys(full())).toEqual(before);
    const wrong: string[] = [];
    for (const { path: key, node } of leaves) {
      const config = full();
      setIn(config as unknown as Record<string, unknown>, key, another(getIn(config, key), node, key));
      const after = await keys(config);
      const rebuilt = ALL.filter((s) => after[s] !== before[s]);
      const want = expected(key);
      if (rebuilt.join() !== want.join())
        wrong.push(`${key.join(".")}: rebuilt [${rebuilt}], expected [${want}]`);
    }
    expect(wrong).toEqual([]);
  });

  it("--shape (over quantize.shapes and bench.shapes) rebuilds every step (tfjs validates with the shapes)", async () => {
    const before = await keys(full());
    const after = await keys(withShapes(full(), ["x=1,16"]));
    expect(ALL.filter((s) => after[s] !== before[s])).toEqual([
      "validate",
      "quantize",
      "bench",
      ...TARGET_NAMES,
    ]);
  });

  it("the labels file's contents are part of the tfjs key", async () => {
    const config = full();
    config.targets.tfjs = { labels: "labels.txt" };
    file("labels.txt", "cat\ndog\n");
    const before = await keys(config);
    file("labels.txt", "dog\ncat\n");
    const after = await keys(config);
    fs.rmSync(path.join(dir, "labels.txt"));
    expect(ALL.filter((s) => after[s] !== before[s])).toEqual(["tfjs"]);
  });

  it("the calibration folder's contents are part of the quantize key", async () => {
    const before = await keys(full());
    file("calib/b.json", "[3]");
    const after = await keys(full());
    fs.rmSync(path.join(dir, "calib/b.json"));
    expect(ALL.filter((s) => after[s] !== before[s])).toEqual(["quantize", "bench", ...ONNXRUNTIME]);
  });
});
