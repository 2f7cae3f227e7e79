/**
 * `mlpack build --target lambda`: a deployment zip for the Node.js Lambda runtimes (handler
 * index.handler) or provided.al2023 (a bootstrap). Contents, in sorted order:
 *   index.mjs, package.json       the handler (templates/lambda/index.mjs) and {"type": "module"}
 *   mlpack/...                    the compiled serving modules the handler imports (router, protocol, ...)
 *   model/<file>.onnx             the model, and its external data files
 *   node_modules/onnxruntime-*    JavaScript + the one Linux architecture's native binding
 *   bootstrap, runtime.mjs        provided.al2023 only (bin/node too when a node binary is given)
 */
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { UserError } from "../../errors.js";
import { silentLogger, type Logger } from "../../log.js";
import { readModel } from "../../onnx/read.js";
import { modelInfoFromProto } from "../../serve/model-info.js";
import type { ServerConfig } from "../../config/types.js";
import type { LambdaTargetConfig } from "../../build/targets/lambda/config.js";
import { renderTemplateFile } from "../../templates/render.js";
import { collectCodeFiles, defaultDistDir } from "./code-files.js";
import { arm64StartupWarning, collectOrtFiles, locateOrtPackages, type SourceFile } from "./ort-files.js";
import {
  ignoredServerSettings,
  MAX_DIRECT_UPLOAD_BYTES,
  MAX_UNZIPPED_BYTES,
  resolveLambdaSettings,
  type LambdaSettings,
} from "./settings.js";
import { writeZip, type ZipEntrySpec } from "./zip-write.js";
import { readZipFileDirectory } from "./zip-read.js";
import { formatBytes } from "../../format-bytes.js";

export interface BuildLambdaZipOptions {
  /** The .onnx file (external data files beside it are included). */
  model: string;
  /** Name in /v2/models/{name}. Default: the file name without .onnx. */
  name?: string;
  /** Default "1". */
  version?: string;
  lambda?: LambdaTargetConfig;
  server?: ServerConfig;
  /** The zip to write. */
  output: string;
  logger?: Logger;
  /** provided.al2023: a Linux node executable of the function's architecture, shipped as bin/node. */
  nodeBinary?: string;
  /** mlpack's compiled modules. Default: this package's dist/. */
  distDir?: string;
  /** Deflate level 0-9. Default 9 (the zip is built once and downloaded on every cold start). */
  compressionLevel?: number;
}

export type SizePartName = "model" | "runtime" | "code" | "node";

export interface SizePart {
  files: number;
  /** Unzipped bytes. */
  bytes: number;
  /** Compressed bytes in the zip (entry data only). */
  zippedBytes: number;
}

export interface LambdaZipResult {
  zipPath: string;
  /** Size of the zip file. */
  zippedBytes: number;
  /** Sum of the unzipped file sizes (what counts against the 250 MB limit). */
  unzippedBytes: number;
  breakdown: Record<"model" | "runtime" | "code", SizePart> & { node?: SizePart };
  sha256: string;
  files: number;
  /** The function's handler setting. */
  handler: string;
  settings: LambdaSettings;
  onnxruntimeVersion: string;
  /** Also logged through logger.warn. */
  warnings: string[];
}

const pkg = createRequire(import.meta.url)("../../../package.json") as { version: string };
const NAME_RE = /^[A-Za-z0-9_.-]+$/;

export async function buildLambdaZip(opts: BuildLambdaZipOptions): Promise<LambdaZipResult> {
  const logger = opts.logger ?? silentLogger;
  const settings = resolveLambdaSettings(opts.lambda, opts.server);
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    logger.warn(m);
  };
  const name = opts.name ?? path.basename(opts.model).replace(/\.onnx$/i, "");
  const version = opts.version ?? "1";
  for (const [what, v] of [
    ["model name", name],
    ["model version", version],
  ] as const)
    if (!NAME_RE.test(v))
      throw new UserError(
        `${what} "${v}" may only hold letters, digits, "_", "." and "-" (it goes in URLs)`,
        {
          hint: `pass a ${what === "model name" ? "name" : "version"} such as "resnet" or "1.2"`,
        },
      );

  const loaded = await readModel(opts.model);
  const modelDir = path.dirname(path.resolve(opts.model));
  const modelZipPath = `model/${path.basename(opts.model)}`;
  const info = modelInfoFromProto(loaded.proto, { name, version, path: modelZipPath });
  const modelFiles: SourceFile[] = [
    { from: path.resolve(opts.model), to: modelZipPath, bytes: loaded.protoBytes },
    ...loaded.externalFiles.map((f) => ({
      from: path.join(modelDir, f.location),
      to: `model/${f.location.split(path.sep).join("/")}`,
      bytes: f.bytes,
    })),
  ];
  logger.debug(`lambda: model ${name}@${version}: ${modelFiles.length} file(s)`);

  const code = collectCodeFiles(opts.distDir ?? defaultDistDir());
  const ort = collectOrtFiles(locateOrtPackages(import.meta.url), settings.arch);
  logger.debug(
    `lambda: ${code.length} mlpack module(s), ${ort.files.length} onnxruntime file(s) (${ort.version})`,
  );
  if (settings.arch === "arm64") {
    const w = arm64StartupWarning(ort.version);
    if (w) warn(w);
  }
  const ignored = ignoredServerSettings(opts.server);
  if (ignored.length)
    logger.debug(
      `lambda: server.${ignored.join(", server.")} do not apply (one request at a time per instance)`,
    );

  const rendered: ZipEntrySpec[] = [
    {
      path: "index.mjs",
      source: {
        data: Buffer.from(
          renderTemplateFile("lambda/index.mjs", {
            modelName: name,
            modelVersion: version,
            mlpackVersion: pkg.version,
            modelInfoJson: JSON.stringify(JSON.stringify(info)).slice(1, -1),
            intraOpThreads: String(settings.intraOpThreads),
            threadsNote: settings.threadsNote,
          }),
        ),
      },
    },
    {
      path: "package.json",
      source: { data: Buffer.from(JSON.stringify({ private: true, type: "module" }, null, 2) + "\n") },
    },
  ];
  const extra: SourceFile[] = [];
  let handler = "index.handler";
  if (settings.runtime === "provided.al2023") {
    handler = "bootstrap";
    rendered.push(
      {
        path: "bootstrap",
        executable: true,
        source: { data: Buffer.from(renderTemplateFile("lambda/bootstrap", { mlpackVersion: pkg.version })) },
      },
      { path: "runtime.mjs", source: { data: Buffer.from(renderTemplateFile("lambda/runtime.mjs", {})) } },
    );
    if (opts.nodeBinary) {
      const st = statOrThrow(opts.nodeBinary, "the node binary");
      extra.push({ from: path.resolve(opts.nodeBinary), to: "bin/node", bytes: st.size });
    } else
      warn(
        "provided.al2023 has no Node.js: attach a layer that provides /opt/bin/node or /opt/nodejs/bin/node, " +
          "or build with a node binary (bin/node in the zip), or use --runtime nodejs20.x",
      );
  }

  const fileEntries = (files: SourceFile[], exec = false): ZipEntrySpec[] =>
    files.map((f) => ({ path: f.to, source: { file: f.from }, executable: exec }));
  const entries = [
    ...rendered,
    ...fileEntries(code),
    ...fileEntries(modelFiles),
    ...fileEntries(ort.files),
    ...fileEntries(extra, true),
  ];
  const unzippedBytes =
    rendered.reduce((s, e) => s + ("data" in e.source ? e.source.data.length : 0), 0) +
    [...code, ...modelFiles, ...ort.files, ...extra].reduce((s, f) => s + f.bytes, 0);
  if (unzippedBytes > MAX_UNZIPPED_BYTES)
    throw new UserError(
      `the Lambda function would be ${formatBytes(unzippedBytes)} unzipped, over Lambda's 250 MB limit ` +
        `(model ${formatBytes(sum(modelFiles))}, onnxruntime ${formatBytes(sum(ort.files))})`,
      {
        hint:
          "build a container image instead (--target lambda-image, up to 10 GB), or host the model on S3 " +
          "and download it to /tmp in the init phase; quantizing (mlpack quantize) makes float models ~4x smaller",
      },
    );

  const written = await writeZip(opts.output, entries, { compressionLevel: opts.compressionLevel });
  const breakdown: LambdaZipResult["breakdown"] = {
    model: emptyPart(),
    runtime: emptyPart(),
    code: emptyPart(),
  };
  const dir = readZipFileDirectory(written.path);
  for (const e of dir) {
    if (e.name.endsWith("/")) continue;
    const part = partOf(e.name);
    const p = part === "node" ? (breakdown.node ??= emptyPart()) : breakdown[part];
    p.files++;
    p.bytes += e.size;
    p.zippedBytes += e.compressedSize;
  }
  if (written.bytes > MAX_DIRECT_UPLOAD_BYTES)
    warn(
      `the zip is ${formatBytes(written.bytes)}, over Lambda's 50 MB limit for direct upload: upload it to S3 and ` +
        `deploy from there (aws lambda update-function-code --s3-bucket ... --s3-key ...)`,
    );
  logger.debug(`lambda: wrote ${written.path} (${formatBytes(written.bytes)}, sha256 ${written.sha256})`);
  return {
    zipPath: written.path,
    zippedBytes: written.bytes,
    unzippedBytes,
    breakdown,
    sha256: written.sha256,
    files: dir.filter((e) => !e.name.endsWith("/")).length,
    handler,
    settings,
    onnxruntimeVersion: ort.version,
    warnings,
  };
}

/** Which part of the breakdown a zip path counts towards. */
export function partOf(zipPath: string): SizePartName {
  if (zipPath.startsWith("model/")) return "model";
  if (zipPath.startsWith("node_modules/")) return "runtime";
  if (zipPath === "bin/node") return "node";
  return "code";
}

/** "model 9.6 MB (9.0 MB zipped), runtime ..." for the closing note. */
export function formatBreakdown(r: Pick<LambdaZipResult, "breakdown">): string {
  return (Object.entries(r.breakdown) as [string, SizePart | undefined][])
    .filter((e): e is [string, SizePart] => e[1] !== undefined)
    .map(([k, p]) => `${k} ${formatBytes(p.bytes)} (${formatBytes(p.zippedBytes)} zipped)`)
    .join(", ");
}

const emptyPart = (): SizePart => ({ files: 0, bytes: 0, zippedBytes: 0 });
const sum = (files: SourceFile[]) => files.reduce((s, f) => s + f.bytes, 0);

function statOrThrow(file: string, what: string): fs.Stats {
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new Error("not a file");
    return st;
  } catch {
    throw new UserError(`${what} ${file} is not a readable file`, { hint: "check the path" });
  }
}
