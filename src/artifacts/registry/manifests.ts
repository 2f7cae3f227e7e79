/** Manifest GET (any of the OCI/Docker media types) and PUT, with digest checks both ways. */
import crypto from "node:crypto";
import { MEDIA } from "../oci/layout.js";
import { type RegistryClient, RegistryError } from "./client.js";

export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  digest: string;
}

const ACCEPT = [MEDIA.ociIndex, MEDIA.ociManifest, MEDIA.dockerList, MEDIA.dockerManifest].join(", ");

const digestOf = (b: Uint8Array) => "sha256:" + crypto.createHash("sha256").update(b).digest("hex");

export async function getManifest(
  client: RegistryClient,
  repo: string,
  reference: string,
): Promise<FetchedManifest> {
  const res = await client.request({
    method: "GET",
    url: `/v2/${repo}/manifests/${reference}`,
    scopes: [`repository:${repo}:pull`],
    headers: { accept: ACCEPT },
    ok: [200],
    retry: true,
    what: `GET manifest ${repo}:${reference}`,
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  const digest = digestOf(bytes);
  if (reference.startsWith("sha256:") && digest !== reference)
    throw new RegistryError(
      `manifest ${repo}@${reference} from ${client.host} hashes to ${digest}`,
      200,
      "DIGEST_INVALID",
      "the registry or a proxy served a corrupt manifest",
    );
  const declared = (JSON.parse(bytes.toString("utf8")) as { mediaType?: string }).mediaType;
  const mediaType = declared ?? res.headers.get("content-type")?.split(";")[0] ?? MEDIA.ociManifest;
  return { bytes, mediaType, digest };
}

/** PUTs a manifest under a tag or its digest; returns the digest the registry confirmed. */
export async function putManifest(
  client: RegistryClient,
  repo: string,
  reference: string,
  bytes: Uint8Array,
  mediaType: string,
): Promise<string> {
  const digest = digestOf(bytes);
  const what = `PUT manifest ${repo}:${reference}`;
  const res = await client.request({
    method: "PUT",
    url: `/v2/${repo}/manifests/${reference}`,
    scopes: [`repository:${repo}:pull,push`],
    headers: { "content-type": mediaType },
    body: bytes,
    ok: [201, 200, 204],
    retry: true,
    what,
  });
  await res.arrayBuffer();
  const got = res.headers.get("docker-content-digest");
  if (got && got !== digest)
    throw new RegistryError(
      `${what}: the registry reports digest ${got}, but the manifest sent hashes to ${digest}`,
      res.status,
      "DIGEST_INVALID",
      "something between here and the registry altered the manifest; do not use this tag until a push succeeds",
    );
  return digest;
}
