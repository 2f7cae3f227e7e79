/** Image references: [registry[:port]/]repository[:tag][@sha256:digest], with Docker Hub's defaults. */
import { UserError } from "../../errors.js";

export interface ImageRef {
  /** Host as written (docker.io for Docker Hub). */
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

const DOCKER_HUB = "docker.io";

export function parseReference(ref: string): ImageRef {
  const input = ref.replace(/^docker:\/\//, "");
  const bad = (why: string) =>
    new UserError(`invalid image reference "${ref}": ${why}`, {
      hint: "write it as registry.example.com/team/model:tag (or 127.0.0.1:5000/model:tag)",
    });
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^sha256:[a-f0-9]{64}$/.test(digest)) throw bad("the digest must be sha256:<64 hex digits>");
  }
  let tag: string | undefined;
  const slash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!/^[\w][\w.-]{0,127}$/.test(tag)) throw bad(`tag "${tag}" has characters a tag cannot hold`);
  }
  const parts = rest.split("/");
  let registry = DOCKER_HUB;
  if (parts.length > 1 && (/[.:]/.test(parts[0]) || parts[0] === "localhost")) registry = parts.shift()!;
  let repository = parts.join("/");
  if (!repository) throw bad("no repository name");
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(repository))
    throw bad("repository names are lowercase letters, digits and . _ - separated by /");
  if (registry === DOCKER_HUB && !repository.includes("/")) repository = `library/${repository}`;
  if (!tag && !digest) tag = "latest";
  return { registry, repository, tag, digest };
}

/** The host to talk to (Docker Hub's API lives on registry-1.docker.io). */
export function registryHost(ref: ImageRef): string {
  return ref.registry === DOCKER_HUB ? "registry-1.docker.io" : ref.registry;
}

export function formatReference(ref: ImageRef): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}

/** The tag or digest a manifest request names. */
export function referenceTarget(ref: ImageRef): string {
  return ref.digest ?? ref.tag ?? "latest";
}
