/** Limits on request JSON, and printing request values into error messages without trusting them. */

/**
 * Deepest nesting accepted anywhere in a request body: `data` at rank 32 plus the objects around it.
 * JSON.parse takes any depth, but printing or walking a deeper value recursively overflows the stack.
 */
export const MAX_JSON_DEPTH = 40;

/** Whether `v` nests deeper than `max` arrays/objects; iterative, so any depth is safe to check. */
export function nestedDeeperThan(v: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[v, 0]];
  while (stack.length > 0) {
    const [x, depth] = stack.pop()!;
    if (x === null || typeof x !== "object") continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(x) ? x : Object.values(x)) stack.push([child, depth + 1]);
  }
  return false;
}

/** A request value for an error message: short, and safe for any depth or size. */
export function preview(v: unknown, max = 60): string {
  if (v !== null && typeof v === "object") return Array.isArray(v) ? `an array of ${v.length}` : "an object";
  const text = typeof v === "string" ? JSON.stringify(v.length > max ? v.slice(0, max) : v) : String(v);
  return typeof v === "string" && v.length > max ? `${text.slice(0, -1)}…" (${v.length} characters)` : text;
}
