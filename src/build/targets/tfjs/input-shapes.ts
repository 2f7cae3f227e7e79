import type { StepContext } from "../../types.js";

/**
 * `name=1,3,224,224` entries (bench.shapes, with `--shape` over them) that name a whole input: the
 * bundle's input shapes.
 */
export function tfjsInputShapes(ctx: StepContext): Record<string, number[]> | undefined {
  const list = ctx.config.bench ? ctx.config.bench.shapes : ctx.options.shapes;
  if (!list) return undefined;
  const out: Record<string, number[]> = {};
  for (const s of list) {
    const [name, dims] = s.split("=");
    if (name && dims && dims.includes(",")) out[name] = dims.split(",").map(Number);
  }
  return out;
}
