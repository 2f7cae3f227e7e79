import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { getTarget, isTargetName, TARGET_NAMES } from "./registry.js";

const schema = createRequire(import.meta.url)("../../../schema/mlpack.schema.json") as {
  definitions: Record<string, { properties: Record<string, { $ref?: string }> }>;
};

describe("target registry", () => {
  it("names each definition by its key, in build order", () => {
    expect(TARGET_NAMES).toEqual(["tfjs", "lambda", "docker", "kubernetes"]);
    for (const t of TARGET_NAMES) expect(getTarget(t).name).toBe(t);
    expect(isTargetName("docker")).toBe(true);
    expect(isTargetName("toString")).toBe(false);
  });

  it("is what the generated config schema allows under targets (npm run gen:config-schema)", () => {
    expect(Object.keys(schema.definitions.TargetsConfig.properties).sort()).toEqual([...TARGET_NAMES].sort());
  });

  it("declares what each target ships and validates against", () => {
    expect(TARGET_NAMES.map((t) => [t, getTarget(t).ships, getTarget(t).validateFor])).toEqual([
      ["tfjs", "float", "tfjs"],
      ["lambda", "quantized", "ort-cpu"],
      ["docker", "quantized", "ort-cpu"],
      ["kubernetes", "quantized", "ort-cpu"],
    ]);
  });
});
