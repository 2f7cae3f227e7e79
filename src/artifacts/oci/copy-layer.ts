/** A Dockerfile COPY of a context directory as tar entries, the way `docker build` lays it out. */
import fs from "node:fs";
import path from "node:path";
import { UserError } from "../../errors.js";
import type { CopyStep } from "./dockerfile.js";
import type { TarEntry } from "./tar.js";

/** What a COPY source holds, for the build report (by context directory). */
export function layerRole(src: string): string {
  if (src.startsWith("rootfs")) return "runtime (node + shared libraries)";
  if (src.startsWith("app/node_modules")) return "runtime deps";
  if (src.startsWith("native")) return "native runtime (onnxruntime)";
  if (src.startsWith("app/server")) return "server code";
  if (src.startsWith("models")) return "model";
  return src;
}

export function copyEntries(contextDir: string, step: CopyStep): TarEntry[] {
  const src = path.join(contextDir, step.src);
  if (!path.resolve(src).startsWith(path.resolve(contextDir)))
    throw new UserError(`Dockerfile line ${step.line}: COPY source ${step.src} is outside the context`, {
      hint: "re-render the context",
    });
  if (!fs.existsSync(src))
    throw new UserError(
      `Dockerfile line ${step.line}: COPY source ${step.src} is missing from ${contextDir}`,
      {
        hint: "the build context is incomplete; build again",
      },
    );
  const dest = step.dest.replace(/^\/+/, "").replace(/\/+$/, "");
  const entries: TarEntry[] = [];
  const seen = new Set<string>();
  const parts = dest ? dest.split("/") : [];
  for (let i = 1; i <= parts.length; i++) {
    const p = parts.slice(0, i).join("/");
    seen.add(p);
    entries.push({ path: p, type: "dir", mode: 0o755 });
  }
  const join = (rel: string) => (dest ? `${dest}/${rel}` : rel);
  const st = fs.statSync(src);
  if (st.isFile()) {
    const into = step.dest.endsWith("/") ? join(path.basename(src)) : dest;
    entries.push({
      path: into,
      type: "file",
      mode: st.mode & 0o111 ? 0o755 : 0o644,
      size: st.size,
      source: { file: src },
    });
    return entries.filter((e) => e.type !== "dir" || e.path !== into);
  }
  const walk = (abs: string, rel: string) => {
    for (const name of fs.readdirSync(abs).sort()) {
      const a = path.join(abs, name);
      const r = rel ? `${rel}/${name}` : name;
      const l = fs.lstatSync(a);
      const p = join(r);
      if (l.isSymbolicLink()) entries.push({ path: p, type: "symlink", target: fs.readlinkSync(a) });
      else if (l.isDirectory()) {
        if (!seen.has(p)) entries.push({ path: p, type: "dir", mode: l.mode & 0o1000 ? 0o1777 : 0o755 });
        walk(a, r);
      } else if (l.isFile())
        entries.push({
          path: p,
          type: "file",
          mode: l.mode & 0o111 ? 0o755 : 0o644,
          size: l.size,
          source: { file: a },
        });
    }
  };
  walk(src, "");
  return entries;
}
