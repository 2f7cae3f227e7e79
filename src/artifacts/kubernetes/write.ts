/**
 * OUTPUT/kubernetes/: one YAML file per object and a kustomization.yaml listing them, so that
 * `kubectl apply -k OUTPUT/kubernetes` applies the lot. Every object is validated first; the folder is
 * written beside its place and renamed over it at the end (never half written).
 */
import fs from "node:fs";
import path from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { UserError } from "../../errors.js";
import { writeDirAtomically } from "../../write-atomic.js";
import { deploymentManifests } from "./deployment.js";
import { kserveManifests } from "./kserve.js";
import { makeInferenceGraph } from "./inference-graph.js";
import { dnsLabel } from "./pod.js";
import { sizeDeployment, type Sizing } from "./sizing.js";
import type { KubernetesInputs, KubernetesTargetConfig, ManifestFile } from "./types.js";
import { KUSTOMIZATION_API, validateObjects } from "./validate.js";

export const KUSTOMIZATION_FILE = "kustomization.yaml";

export interface KubernetesManifests {
  files: ManifestFile[];
  sizing: Sizing;
}

/** The objects for the configured flavor, validated (no I/O). */
export function kubernetesManifests(
  input: KubernetesInputs,
  cfg: KubernetesTargetConfig,
): KubernetesManifests {
  const sizing = sizeDeployment(input, cfg);
  const files =
    (cfg.flavor ?? "deployment") === "kserve"
      ? kserveManifests(input, cfg, sizing)
      : deploymentManifests(input, cfg, sizing);
  if (cfg.graph) {
    const g = cfg.graph;
    const services = [...(g.before ?? []), dnsLabel(input.name), ...(g.after ?? [])];
    files.push({
      file: "inferencegraph.yaml",
      objects: [makeInferenceGraph({ name: g.name, namespace: cfg.namespace, services })],
    });
  }
  validateObjects(
    files.flatMap((f) => f.objects),
    "targets.kubernetes",
  );
  return { files, sizing };
}

export function kustomization(files: string[]): Record<string, unknown> {
  return { apiVersion: KUSTOMIZATION_API, kind: "Kustomization", resources: files };
}

/** A file's YAML text: a comment header, then its objects as YAML documents. */
export function renderManifestFile(f: ManifestFile, header: string[] = []): string {
  const head = header.map((l) => `# ${l}\n`).join("");
  return head + f.objects.map((o) => stringify(o, { lineWidth: 0 })).join("---\n");
}

/** Writes `dir` whole: the files and kustomization.yaml. Returns the file names written. */
export async function writeManifestDir(
  dir: string,
  files: ManifestFile[],
  header: string[] = [],
): Promise<string[]> {
  const names = files.map((f) => f.file);
  const all = [...files, { file: KUSTOMIZATION_FILE, objects: [kustomization(names)] }];
  validateObjects(
    all.flatMap((f) => f.objects),
    dir,
  );
  await writeDirAtomically(dir, async (tmp) => {
    for (const f of all) await fs.promises.writeFile(path.join(tmp, f.file), renderManifestFile(f, header));
  });
  return all.map((f) => f.file);
}

/** The files a kustomization.yaml lists, parsed (documents keep their comments for rewriting). */
export function readManifestDir(dir: string): { file: string; docs: ReturnType<typeof parseAllDocuments> }[] {
  const k = path.join(dir, KUSTOMIZATION_FILE);
  if (!fs.existsSync(k))
    throw new UserError(`${dir}: no ${KUSTOMIZATION_FILE}`, {
      hint: "point --dir at the kubernetes folder `mlpack build` wrote (OUTPUT/kubernetes), or build with targets.kubernetes",
    });
  const kust = parseFile(k)[0]?.toJS() as { resources?: unknown };
  const resources = Array.isArray(kust?.resources) ? kust.resources : [];
  return resources.map((r) => {
    if (typeof r !== "string" || path.isAbsolute(r) || r.split(/[\\/]/).includes(".."))
      throw new UserError(`${k}: resource ${JSON.stringify(r)} is not a file inside ${dir}`, {
        hint: "mlpack rollout edits only the files in the folder it wrote",
      });
    return { file: r, docs: parseFile(path.join(dir, r)) };
  });
}

function parseFile(file: string): ReturnType<typeof parseAllDocuments> {
  if (!fs.existsSync(file)) throw new UserError(`${file} not found`, { hint: "rebuild with `mlpack build`" });
  const docs = parseAllDocuments(fs.readFileSync(file, "utf8"));
  if (!Array.isArray(docs))
    throw new UserError(`${file}: not YAML documents`, { hint: "rebuild with `mlpack build`" });
  for (const d of docs)
    if (d.errors.length > 0)
      throw new UserError(`${file}: ${d.errors[0].message.split("\n")[0]}`, {
        hint: "fix or rebuild the file",
      });
  return docs;
}
