/**
 * The runtime for `--from-scratch` images: this machine's node binary, the shared libraries it and
 * onnxruntime need (as `ldd` lists them), /etc/passwd and /etc/group with the non-root user, and
 * /tmp. Only the host's platform can be built this way: the binaries are the host's own.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { UserError } from "../../errors.js";
import { execMode, type AppFile } from "./app-files.js";

export const APP_UID = 65532;
export const APP_USER = "mlpack";

export interface ScratchRuntime {
  files: AppFile[];
  generated: { rel: string; text: string; mode: number }[];
  dirs: { rel: string; mode: number }[];
  nodeVersion: string;
}

export type RunLdd = (file: string) => Promise<string>;

const defaultLdd: RunLdd = async (file) =>
  (await promisify(execFile)("ldd", [file], { encoding: "utf8" })).stdout;

export function hostArchitecture(): string {
  return process.arch === "x64" ? "amd64" : process.arch;
}

/** Absolute paths of the libraries in `ldd` output (the vdso has none). */
export function parseLdd(text: string): string[] {
  const libs: string[] = [];
  for (const line of text.split("\n")) {
    const arrow = /=>\s*(\/\S+)/.exec(line);
    const bare = /^\s*(\/\S+)\s+\(/.exec(line);
    if (/=>\s*not found/.test(line))
      throw new UserError(`ldd: ${line.trim()}`, {
        hint: "install the missing library on the build machine",
      });
    if (arrow) libs.push(arrow[1]);
    else if (bare) libs.push(bare[1]);
  }
  return libs;
}

export async function collectScratchRuntime(opts: {
  nodeBinary?: string;
  /** Native modules whose libraries are needed too (onnxruntime's binding and library). */
  nativeFiles: string[];
  ldd?: RunLdd;
}): Promise<ScratchRuntime> {
  const ldd = opts.ldd ?? defaultLdd;
  const node = fs.realpathSync(opts.nodeBinary ?? process.execPath);
  const libs = new Set<string>();
  for (const bin of [node, ...opts.nativeFiles]) {
    let out: string;
    try {
      out = await ldd(bin);
    } catch (e) {
      throw new UserError(`ldd ${bin} failed: ${(e as Error).message}`, {
        hint: "targets.docker.fromScratch needs ldd (glibc's libc-bin package) and a dynamically linked node",
      });
    }
    for (const lib of parseLdd(out)) if (!lib.includes("/node_modules/")) libs.add(lib);
  }
  const files: AppFile[] = [{ rel: "usr/local/bin/node", abs: node, mode: 0o755 }];
  for (const lib of [...libs].sort()) {
    const real = fs.realpathSync(lib);
    files.push({ rel: lib.slice(1), abs: real, mode: execMode(fs.statSync(real).mode) });
  }
  const passwd = `root:x:0:0:root:/root:/sbin/nologin\n${APP_USER}:x:${APP_UID}:${APP_UID}:mlpack:/tmp:/sbin/nologin\n`;
  const group = `root:x:0:\n${APP_USER}:x:${APP_UID}:\n`;
  return {
    files,
    generated: [
      { rel: "etc/passwd", text: passwd, mode: 0o644 },
      { rel: "etc/group", text: group, mode: 0o644 },
    ],
    dirs: [{ rel: "tmp", mode: 0o1777 }],
    nodeVersion: process.version,
  };
}

/** The onnxruntime binaries of the host's architecture in the collected native files. */
export function hostNativeFiles(native: Map<string, AppFile[]>): string[] {
  return (native.get(hostArchitecture()) ?? [])
    .filter((f) => /\.node$|\.so(\.|$)/.test(f.rel))
    .map((f) => f.abs);
}

export function relPath(p: string): string {
  return p.split(path.sep).join("/");
}
