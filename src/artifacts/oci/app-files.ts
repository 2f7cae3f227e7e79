/**
 * What the image runs: mlpack's own package.json, bin/ and dist/, and the production dependency
 * closure from node_modules with onnxruntime-node's native binaries split out per platform (it ships
 * darwin, win32 and linux builds for two architectures; an image keeps only its own).
 */
import fs from "node:fs";
import path from "node:path";
import { UserError } from "../../errors.js";

export interface AppFile {
  /** Destination relative to the context directory it is copied into. */
  rel: string;
  abs: string;
  mode: number;
}

export interface AppFiles {
  /** package.json, bin/, dist/ → context app/server/ */
  server: AppFile[];
  /** node_modules without onnxruntime-node's bin/ → context app/node_modules/ */
  modules: AppFile[];
  /** onnxruntime-node bin/ for one architecture (docker arch name) → context native/<arch>/ */
  native: Map<string, AppFile[]>;
  /** The packages kept, for the report. */
  packages: string[];
}

/**
 * Production dependencies `mlpack serve` never loads. They stay out of the image (TF.js alone is
 * ~280 MB); commands that use them import them lazily, so the image's CLI still starts.
 */
export const SERVER_OMITTED_PACKAGES = ["@tensorflow/*", "dockerode", "@types/*"];

const NODE_ARCH: Record<string, string> = { amd64: "x64", arm64: "arm64" };
const ORT = "onnxruntime-node";

export function execMode(mode: number): number {
  return mode & 0o111 ? 0o755 : 0o644;
}

function matches(name: string, patterns: string[]): boolean {
  return patterns.some((p) => (p.endsWith("/*") ? name.startsWith(p.slice(0, -1)) : name === p));
}

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
}

/** Every regular file under dir (symlinks followed), sorted; skipping names rejected by `skip`. */
export function listFiles(
  dir: string,
  skip: (rel: string, isDir: boolean) => boolean = () => false,
): AppFile[] {
  const out: AppFile[] = [];
  const walk = (abs: string, rel: string) => {
    const names = fs.readdirSync(abs).sort();
    for (const name of names) {
      const a = path.join(abs, name);
      const r = rel ? `${rel}/${name}` : name;
      let st: fs.Stats;
      try {
        st = fs.statSync(a);
      } catch {
        continue; // dangling symlink
      }
      if (skip(r, st.isDirectory())) continue;
      if (st.isDirectory()) walk(a, r);
      else if (st.isFile()) out.push({ rel: r, abs: a, mode: execMode(st.mode) });
    }
  };
  walk(dir, "");
  return out;
}

/**
 * Resolves a dependency the way Node does: nearest node_modules upwards. Above the app root too: when
 * mlpack is itself installed as a package (node_modules/mlpack), npm hoists its dependencies into the
 * project's node_modules beside it.
 */
function resolvePackage(from: string, name: string): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "node_modules", name);
    if (fs.existsSync(path.join(candidate, "package.json"))) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

const within = (dir: string, parent: string) => dir.startsWith(parent + path.sep);

/**
 * Where a package goes under the image's node_modules: its path below mlpack's own node_modules, or
 * for a hoisted one, below the nearest node_modules above mlpack that holds it (the image has one
 * level, app/node_modules, which mlpack's app/server resolves upwards).
 */
export function imageModulePath(root: string, dir: string): string {
  const rel = (base: string) => path.relative(base, dir).split(path.sep).join("/");
  const own = path.join(root, "node_modules");
  if (within(dir, own)) return rel(own);
  for (let up = path.dirname(root); ; up = path.dirname(up)) {
    const modules = path.join(up, "node_modules");
    if (within(dir, modules)) return rel(modules);
    if (path.dirname(up) === up) break;
  }
  throw new UserError(`dependency ${dir} is in no node_modules folder above ${root}`);
}

export interface CollectOptions {
  /** Docker architectures to split onnxruntime-node's binaries for. */
  architectures: string[];
  omitPackages?: string[];
}

export function collectAppFiles(appRoot: string, opts: CollectOptions): AppFiles {
  const root = path.resolve(appRoot);
  for (const need of ["package.json", "bin/mlpack.js", "dist/cli/main.js"])
    if (!fs.existsSync(path.join(root, need)))
      throw new UserError(`${path.join(root, need)} is missing`, {
        hint: "run `npm run build` in the mlpack checkout first (the image carries dist/)",
      });
  const omit = opts.omitPackages ?? SERVER_OMITTED_PACKAGES;
  const server: AppFile[] = [{ rel: "package.json", abs: path.join(root, "package.json"), mode: 0o644 }];
  for (const sub of ["bin", "dist"])
    for (const f of listFiles(path.join(root, sub), (rel) => /\.(map|d\.ts)$|\.test\.js$/.test(rel)))
      server.push({ ...f, rel: `${sub}/${f.rel}` });

  // Breadth-first over the dependency graph; a package is identified by where it sits.
  const pkgs = new Map<string, string>(); // install dir → name
  const queue: string[] = [root];
  while (queue.length) {
    const dir = queue.shift()!;
    const meta = readJson(path.join(dir, "package.json"));
    const deps = { ...(meta.dependencies as object), ...(meta.optionalDependencies as object) };
    for (const name of Object.keys(deps).sort()) {
      if (matches(name, omit)) continue;
      const found = resolvePackage(dir, name);
      if (!found) {
        if (dir === root && !(meta.optionalDependencies as Record<string, string> | undefined)?.[name])
          throw new UserError(`dependency ${name} is not installed in ${root}/node_modules`, {
            hint: "run `npm ci`",
          });
        continue;
      }
      if (!pkgs.has(found)) {
        pkgs.set(found, name);
        queue.push(found);
      }
    }
  }

  const modules: AppFile[] = [];
  const native = new Map<string, AppFile[]>(opts.architectures.map((a) => [a, []]));
  const placed = new Map<string, string>(); // image path → install dir
  for (const [dir, name] of [...pkgs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const relDir = imageModulePath(root, dir);
    const clash = placed.get(relDir);
    if (clash)
      throw new UserError(
        `two installed copies of ${name} (${clash} and ${dir}) would share node_modules/${relDir}`,
        {
          hint: "run `npm dedupe` (or reinstall mlpack in a fresh folder) so one copy serves mlpack",
        },
      );
    placed.set(relDir, dir);
    const isOrt = name === ORT;
    const files = listFiles(dir, (rel) => rel === "node_modules" || (isOrt && rel === "bin"));
    for (const f of files) modules.push({ ...f, rel: `${relDir}/${f.rel}` });
    if (!isOrt) continue;
    for (const arch of opts.architectures) {
      const nodeArch = NODE_ARCH[arch];
      if (!nodeArch)
        throw new UserError(`no onnxruntime-node build for linux/${arch}`, {
          hint: "use linux/amd64 or linux/arm64",
        });
      const bin = path.join(dir, "bin");
      const napis = fs.existsSync(bin)
        ? fs
            .readdirSync(bin)
            .filter((d) => d.startsWith("napi-v"))
            .sort()
        : [];
      for (const napi of napis) {
        const src = path.join(bin, napi, "linux", nodeArch);
        if (!fs.existsSync(src)) continue;
        for (const f of listFiles(src))
          native.get(arch)!.push({ ...f, rel: `${napi}/linux/${nodeArch}/${f.rel}` });
      }
      if (native.get(arch)!.length === 0)
        throw new UserError(`onnxruntime-node in ${dir} has no binaries for linux/${nodeArch}`, {
          hint: "reinstall onnxruntime-node (npm ci); its package ships linux x64 and arm64 builds",
        });
    }
  }
  return { server, modules, native, packages: [...pkgs.values()].sort() };
}
