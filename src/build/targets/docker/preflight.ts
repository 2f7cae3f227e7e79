/**
 * The docker target's preflight: the base image must be there before minutes of quantizing and
 * benchmarking are spent — a local layout or tarball must exist, a registry base must answer a
 * manifest request (one try, a few seconds at most). With a Docker daemon the daemon pulls the base
 * (it may have it cached), so only the daemonless path is checked.
 */
import fs from "node:fs";
import path from "node:path";
import { UserError } from "../../../errors.js";
import type { DockerTargetConfig } from "./config.js";

/** How long the base registry may take to answer the preflight. */
export const BASE_CHECK_TIMEOUT_MS = 10_000;

const BASE_HINT =
  "set targets.docker.base to a reachable registry image, an OCI layout folder or a docker save tarball, or set targets.docker.fromScratch: true (no base needed)";

export async function checkBase(configDir: string, d: DockerTargetConfig): Promise<string> {
  if (d.fromScratch) return "FROM scratch";
  const [{ DEFAULT_BASE }, { daemonAvailable }] = await Promise.all([
    import("../../../artifacts/oci/prepare.js"),
    import("../../../artifacts/oci/daemon.js"),
  ]);
  const spec = d.base ?? DEFAULT_BASE;
  const local = path.resolve(configDir, spec.replace(/^(oci|oci-archive|docker-archive):/, ""));
  if (fs.existsSync(local)) return `base ${spec} (local)`;
  if (/^(oci|oci-archive|docker-archive):/.test(spec) || spec.startsWith(".") || spec.startsWith("/"))
    throw new UserError(`targets.docker.base ${spec} not found (${local})`, { hint: BASE_HINT });
  if (!d.format && (await daemonAvailable())) return `base ${spec} (pulled by the Docker daemon)`;

  const [{ parseReference, registryHost, referenceTarget }, { RegistryClient }, { dockerCredentials }] =
    await Promise.all([
      import("../../../artifacts/registry/reference.js"),
      import("../../../artifacts/registry/client.js"),
      import("../../../artifacts/registry/auth.js"),
    ]);
  const ref = parseReference(spec);
  const client = new RegistryClient(registryHost(ref), {
    insecure: d.insecure,
    credentials: dockerCredentials(),
    retries: 0,
    fetch: (url, init) => fetch(url, { ...init, signal: AbortSignal.timeout(BASE_CHECK_TIMEOUT_MS) }),
  });
  try {
    const res = await client.request({
      method: "HEAD",
      url: `/v2/${ref.repository}/manifests/${referenceTarget(ref)}`,
      scopes: [`repository:${ref.repository}:pull`],
      headers: {
        accept: [
          "application/vnd.oci.image.index.v1+json",
          "application/vnd.oci.image.manifest.v1+json",
          "application/vnd.docker.distribution.manifest.list.v2+json",
          "application/vnd.docker.distribution.manifest.v2+json",
        ].join(", "),
      },
      ok: [200],
      what: `base image ${spec}`,
    });
    await res.arrayBuffer().catch(() => undefined);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new UserError(
      `targets.docker.base ${d.base ? spec : `(default ${spec})`}: ${why.replace(/^base image \S+: /, "")}`,
      { hint: BASE_HINT },
    );
  }
  return `base ${spec} reachable`;
}
