/**
 * `mlpack build --shape NAME=DIMS` (repeatable): concrete shapes for inputs with symbolic dims, the
 * same syntax as `mlpack bench/quantize --shape`. They override quantize.shapes and bench.shapes entry
 * by entry (same input or dim name: the flag wins; other entries stay), so a hint that names --shape
 * can be followed without editing the config. The result is the config every step (and every cache
 * key) sees.
 */
import type { MlpackConfig } from "../config/types.js";

const nameOf = (entry: string) => entry.slice(0, entry.indexOf("=")).trim();

/** `list` with every entry whose name `overrides` gives replaced by the override. */
export function mergeShapes(list: readonly string[] | undefined, overrides: readonly string[]): string[] {
  const names = new Set(overrides.map(nameOf));
  return [...(list ?? []).filter((e) => !names.has(nameOf(e))), ...overrides];
}

export function withShapes(config: MlpackConfig, shapes: readonly string[] | undefined): MlpackConfig {
  if (!shapes?.length) return config;
  return {
    ...config,
    quantize: config.quantize && { ...config.quantize, shapes: mergeShapes(config.quantize.shapes, shapes) },
    bench: config.bench && { ...config.bench, shapes: mergeShapes(config.bench.shapes, shapes) },
  };
}
