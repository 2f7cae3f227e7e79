/**
 * Paths in what a build writes (the manifest, the cache entries) are relative to the output folder
 * when they lie inside the project (the config's folder or the output folder), so a copied or moved
 * project's records point into the copy. Paths outside it (a base image tarball in /tmp, a shared
 * baseline) stay absolute: they do not move with the project.
 */
import path from "node:path";

const inside = (dir: string, p: string) => p === dir || p.startsWith(dir + path.sep);

/** `p` relative to `base` when it lies under one of `roots`, else unchanged. */
export function projectRelative(p: string, base: string, roots: string[]): string {
  if (!path.isAbsolute(p) || !roots.some((r) => inside(r, p))) return p;
  return path.relative(base, p) || ".";
}

/** A deep copy of `value` with every absolute path string under `roots` made relative to `base`. */
export function relativizePaths<T>(value: T, base: string, roots: string[]): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return projectRelative(v, base, roots);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object")
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}
