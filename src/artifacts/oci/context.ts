/**
 * The docker build context: templates/docker/ rendered, plus app/, native/<arch>/, models/ and (for
 * --from-scratch) rootfs/. Any OCI builder can build it; the daemonless builder packs the same
 * directories. It is synchronised rather than rewritten: unchanged files keep their inode and mtime,
 * so the layer cache recognises them on the next build.
 */
import fs from "node:fs";
import path from "node:path";
import { renderTemplateDir } from "./template.js";
import type { AppFile, AppFiles } from "./app-files.js";
import type { ScratchRuntime } from "./scratch.js";

export interface ContextInput {
  dir: string;
  templateDir: string;
  values: Record<string, string>;
  app: AppFiles;
  architectures: string[];
  /** Model file and its external data files, copied to models/ under their base names. */
  modelFiles: string[];
  scratch?: ScratchRuntime;
  /** Generated files (the serve config), relative to the context. */
  generated?: { rel: string; text: string }[];
}

export interface EmittedContext {
  dir: string;
  dockerfile: string;
  fileCount: number;
}

async function syncFile(src: string, dest: string, mode: number): Promise<void> {
  const s = await fs.promises.stat(src);
  try {
    const d = await fs.promises.lstat(dest);
    if (d.isFile() && d.size === s.size && Math.abs(d.mtimeMs - s.mtimeMs) < 1 && (d.mode & 0o7777) === mode)
      return;
    await fs.promises.rm(dest, { recursive: true, force: true });
  } catch {
    // missing: copy below
  }
  await fs.promises.mkdir(path.dirname(dest), { recursive: true });
  await fs.promises.copyFile(src, dest, fs.constants.COPYFILE_FICLONE);
  await fs.promises.chmod(dest, mode);
  await fs.promises.utimes(dest, s.atimeMs / 1000, s.mtimeMs / 1000);
}

async function syncText(text: string, dest: string, mode: number): Promise<void> {
  try {
    if (
      (await fs.promises.readFile(dest, "utf8")) === text &&
      ((await fs.promises.stat(dest)).mode & 0o7777) === mode
    )
      return;
  } catch {
    // missing
  }
  await fs.promises.mkdir(path.dirname(dest), { recursive: true });
  await fs.promises.writeFile(dest + ".tmp", text);
  await fs.promises.chmod(dest + ".tmp", mode);
  await fs.promises.rename(dest + ".tmp", dest);
}

/** Runs fn over items with a small fixed concurrency. */
async function each<T>(items: T[], n: number, fn: (x: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (i < items.length) await fn(items[i++]);
    }),
  );
}

export async function emitContext(input: ContextInput): Promise<EmittedContext> {
  const { dir } = input;
  const wanted = new Map<string, { src?: string; text?: string; mode: number }>();
  const add = (prefix: string, files: AppFile[]) => {
    for (const f of files) wanted.set(`${prefix}/${f.rel}`, { src: f.abs, mode: f.mode });
  };
  const rendered = renderTemplateDir(input.templateDir, input.values);
  for (const [name, text] of rendered) wanted.set(name, { text, mode: 0o644 });
  add("app/server", input.app.server);
  add("app/node_modules", input.app.modules);
  for (const arch of input.architectures) add(`native/${arch}`, input.app.native.get(arch) ?? []);
  for (const m of input.modelFiles) wanted.set(`models/${path.basename(m)}`, { src: m, mode: 0o644 });
  for (const g of input.generated ?? []) wanted.set(g.rel, { text: g.text, mode: 0o644 });
  const dirs = new Map<string, number>([
    ["app/node_modules", 0o755],
    ["app/server", 0o755],
    ["models", 0o755],
  ]);
  for (const arch of input.architectures) dirs.set(`native/${arch}`, 0o755);
  if (input.scratch) {
    add("rootfs", input.scratch.files);
    for (const g of input.scratch.generated) wanted.set(`rootfs/${g.rel}`, { text: g.text, mode: g.mode });
    for (const d of input.scratch.dirs) dirs.set(`rootfs/${d.rel}`, d.mode);
  }

  await fs.promises.mkdir(dir, { recursive: true });
  await removeStale(dir, "", wanted, dirs);
  for (const [rel, mode] of dirs) {
    await fs.promises.mkdir(path.join(dir, rel), { recursive: true });
    await fs.promises.chmod(path.join(dir, rel), mode);
  }
  await each([...wanted], 4, async ([rel, w]) => {
    const dest = path.join(dir, rel);
    if (w.text !== undefined) await syncText(w.text, dest, w.mode);
    else await syncFile(w.src!, dest, w.mode);
  });
  return { dir, dockerfile: rendered.get("Dockerfile")!, fileCount: wanted.size };
}

/** Deletes files and directories of an earlier build that this one does not have. */
async function removeStale(
  root: string,
  rel: string,
  wanted: Map<string, unknown>,
  dirs: Map<string, number>,
): Promise<boolean> {
  const abs = path.join(root, rel);
  let keep = false;
  for (const e of await fs.promises.readdir(abs, { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory() && (await removeStale(root, r, wanted, dirs))) keep = true;
    else if (e.isDirectory() && dirs.has(r)) keep = true;
    else if (!e.isDirectory() && wanted.has(r)) keep = true;
    else await fs.promises.rm(path.join(root, r), { recursive: true, force: true });
  }
  return keep || dirs.has(rel);
}
