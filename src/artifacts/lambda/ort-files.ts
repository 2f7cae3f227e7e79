/**
 * The onnxruntime-node files a Lambda function needs: the JavaScript of onnxruntime-node and
 * onnxruntime-common, and the native binding for one Linux architecture. The npm package carries
 * every platform's binaries (~290 MB unpacked); one Linux architecture is ~26-46 MB.
 */
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { UserError } from "../../errors.js";

export type LambdaArch = "x86_64" | "arm64";

/** A file to put in the zip: where it comes from and its path inside the zip. */
export interface SourceFile {
  from: string;
  to: string;
  bytes: number;
}

export interface OrtFiles {
  version: string;
  files: SourceFile[];
}

/** Node's process.arch for each Lambda architecture (the binding's directory name). */
export const NODE_ARCH: Record<LambdaArch, "x64" | "arm64"> = { x86_64: "x64", arm64: "arm64" };

/**
 * Execution-provider libraries are for GPUs (CUDA, TensorRT, and the "shared" bridge they load
 * through); Lambda has no GPU and the CPU provider is built into libonnxruntime.so.
 */
const PROVIDER_LIB = /^libonnxruntime_providers_/;
/** Type declarations, source maps and TypeScript sources are never loaded at run time. */
const DEV_ONLY = /(\.d\.ts|\.map|\.ts)$/;

/** Finds the installed onnxruntime-node and onnxruntime-common beside mlpack. */
export function locateOrtPackages(fromFile: string): { node: string; common: string } {
  const req = createRequire(fromFile);
  let nodeDir: string;
  try {
    nodeDir = path.dirname(req.resolve("onnxruntime-node/package.json"));
  } catch {
    throw new UserError("onnxruntime-node is not installed beside mlpack", {
      hint: "reinstall mlpack (npm install) so its onnxruntime-node dependency is present",
    });
  }
  // onnxruntime-common's "exports" hides package.json; resolve its entry from onnxruntime-node's view.
  const entry = createRequire(path.join(nodeDir, "package.json")).resolve("onnxruntime-common");
  let dir = path.dirname(entry);
  while (!fs.existsSync(path.join(dir, "package.json")) || readName(dir) !== "onnxruntime-common") {
    const up = path.dirname(dir);
    if (up === dir) throw new UserError(`cannot find onnxruntime-common's package.json above ${entry}`);
    dir = up;
  }
  return { node: nodeDir, common: dir };
}

function readName(dir: string): string | undefined {
  try {
    return (JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { name?: string }).name;
  } catch {
    return undefined;
  }
}

export function collectOrtFiles(dirs: { node: string; common: string }, arch: LambdaArch): OrtFiles {
  const pkg = JSON.parse(fs.readFileSync(path.join(dirs.node, "package.json"), "utf8")) as {
    version: string;
  };
  const files: SourceFile[] = [];
  const add = (root: string, rel: string, zipRoot: string) => {
    const from = path.join(root, rel);
    files.push({ from, to: `${zipRoot}/${rel.split(path.sep).join("/")}`, bytes: fs.statSync(from).size });
  };
  for (const [root, zipRoot] of [
    [dirs.node, "node_modules/onnxruntime-node"],
    [dirs.common, "node_modules/onnxruntime-common"],
  ] as const) {
    add(root, "package.json", zipRoot);
    for (const f of fs.readdirSync(root)) if (/^(LICENSE|ThirdPartyNotices)/i.test(f)) add(root, f, zipRoot);
    for (const rel of walk(path.join(root, "dist")))
      if (!DEV_ONLY.test(rel)) add(root, path.join("dist", rel), zipRoot);
  }
  const binRoot = path.join(dirs.node, "bin");
  const napi = fs.existsSync(binRoot)
    ? fs
        .readdirSync(binRoot)
        .filter((d) => d.startsWith("napi-v"))
        .sort()
    : [];
  let natives = 0;
  for (const v of napi) {
    const rel = path.join("bin", v, "linux", NODE_ARCH[arch]);
    const dir = path.join(dirs.node, rel);
    if (!fs.existsSync(dir)) continue;
    for (const f of walk(dir)) {
      if (PROVIDER_LIB.test(path.basename(f))) continue;
      add(dirs.node, path.join(rel, f), "node_modules/onnxruntime-node");
      natives++;
    }
  }
  if (natives === 0)
    throw new UserError(
      `onnxruntime-node ${pkg.version} has no Linux ${NODE_ARCH[arch]} binaries under ${binRoot} (Lambda ${arch} needs them)`,
      {
        hint: "reinstall onnxruntime-node from npm: the published package carries linux/x64 and linux/arm64",
      },
    );
  files.sort((a, b) => (a.to < b.to ? -1 : a.to > b.to ? 1 : 0));
  return { version: pkg.version, files };
}

/** Relative paths of the regular files under `dir`, sorted. */
export function walk(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.isDirectory()) for (const f of walk(path.join(dir, e.name))) out.push(path.join(e.name, f));
    else if (e.isFile()) out.push(e.name);
  }
  return out;
}

/**
 * The arm64 start-up crash. On Lambda arm64 (Graviton) /sys/devices/system/cpu/possible and /present
 * do not exist; onnxruntime's bundled pytorch/cpuinfo fails to initialise and the process aborts while
 * loading the library ("Error in cpuinfo: failed to parse the list of possible processors ...",
 * then "terminate called ... Attempt to use DefaultLogger but none has been registered", Lambda
 * Runtime.ExitError "signal: aborted").
 *  - before 1.11: "Failed to initialize CPU info" thrown from CPUIDInfo (microsoft/onnxruntime#10038);
 *    1.11.0 tolerated the failure (microsoft/onnxruntime#10199, merged 2022-01).
 *  - 1.12.0 and later: the DefaultLogger abort (reports in #10038 on 1.12-1.17, #15650, and
 *    qdrant/fastembed#435 on 1.19.2; "rolling back to 1.11.1 fixes it").
 *  - fixed by microsoft/onnxruntime#28230 "Fix cpuinfo init on Linux without CPU sysfs lists", merged
 *    2026-04-25. 1.26.0's release candidates were built from rel-1.26.0 on 2026-05-05 and we could not
 *    confirm the fix is on that branch, so 1.27.0 is the first version treated as fixed.
 * Affected (warned): < 1.11.0, and 1.12.0 up to 1.26.x.
 */
export function arm64StartupWarning(version: string): string | undefined {
  const m = /^(\d+)\.(\d+)\./.exec(version);
  if (!m)
    return `onnxruntime-node version "${version}" is not x.y.z; cannot tell whether it has the Lambda arm64 start-up fix`;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  const affected = major < 1 || (major === 1 && (minor < 11 || (minor >= 12 && minor < 27)));
  if (!affected) return undefined;
  return (
    `onnxruntime-node ${version} aborts at start-up on Lambda arm64 (cpuinfo cannot read /sys/devices/system/cpu/possible; ` +
    `microsoft/onnxruntime#10038, fixed by #28230); use --arch x86_64, or onnxruntime-node >= 1.27.0`
  );
}
