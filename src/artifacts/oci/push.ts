/**
 * Pushes an image from an OCI layout (or a `mlpack build` output directory, or an image tarball) to
 * a registry: blobs first (skipped when present, mounted from the base image's repository when it
 * lives on the same registry), then the platform manifests by digest, then the tag.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { silentLogger, type Logger } from "../../log.js";
import { UserError } from "../../errors.js";
import { RegistryClient, type RegistryClientOptions } from "../registry/client.js";
import { short, uploadBlob, type UploadOutcome } from "../registry/blobs.js";
import { putManifest } from "../registry/manifests.js";
import { dockerCredentials } from "../registry/auth.js";
import { formatReference, parseReference, registryHost } from "../registry/reference.js";
import { extractArchive } from "./archive.js";
import { openLocalLayout } from "./base.js";
import {
  BASE_NAME,
  isIndex,
  MEDIA,
  OciLayout,
  selectRoot,
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
} from "./layout.js";

export interface PushOptions {
  insecure?: boolean;
  /** The image in the layout to push (its org.opencontainers.image.ref.name), when it holds several. */
  refName?: string;
  registry?: Omit<RegistryClientOptions, "insecure" | "logger">;
  concurrency?: number;
  monolithicLimit?: number;
  chunkSize?: number;
  logger?: Logger;
  /** Called after each blob: bytes of the blobs handled so far (uploaded, skipped or mounted) of all. */
  onProgress?: (doneBytes: number, totalBytes: number) => void;
}

export interface PushReport {
  reference: string;
  digest: string;
  mediaType: string;
  blobs: { digest: string; size: number; outcome: UploadOutcome }[];
  uploaded: number;
  uploadedBytes: number;
  skipped: number;
  mounted: number;
  manifests: number;
}

async function openSource(source: string): Promise<{ layout: OciLayout; cleanup: () => Promise<void> }> {
  if (!fs.existsSync(source))
    throw new UserError(`${source} does not exist`, {
      hint: "pass the directory or tarball `mlpack build` wrote",
    });
  if (fs.statSync(source).isDirectory()) {
    for (const archive of ["oci-archive.tar", "docker-archive.tar"]) {
      const f = path.join(source, archive);
      if (
        !fs.existsSync(path.join(source, "oci")) &&
        !fs.existsSync(path.join(source, "oci-layout")) &&
        fs.existsSync(f)
      )
        return openSource(f);
    }
    return { layout: openLocalLayout(source), cleanup: async () => {} };
  }
  const tmp = await fs.promises.mkdtemp(path.join(os.tmpdir(), "mlpack-push-"));
  const cleanup = () => fs.promises.rm(tmp, { recursive: true, force: true });
  try {
    extractArchive(source, tmp);
    return { layout: OciLayout.open(tmp), cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

export async function pushImage(
  source: string,
  reference: string,
  opts: PushOptions = {},
): Promise<PushReport> {
  const logger = opts.logger ?? silentLogger;
  const ref = parseReference(reference);
  if (ref.digest)
    throw new UserError(`push to a tag, not a digest: ${reference}`, {
      hint: "the digest is computed from the image",
    });
  const { layout, cleanup } = await openSource(source);
  try {
    const root = selectRoot(await layout.readIndex(), source, opts.refName);
    const children: { descriptor: Descriptor; bytes: Buffer; manifest: ImageManifest }[] = [];
    const rootBytes = await layout.readBlob(root.digest);
    await layout.readJson(root.digest); // digest check
    if (isIndex(root.mediaType)) {
      const index = JSON.parse(rootBytes.toString("utf8")) as ImageIndex;
      for (const d of index.manifests)
        children.push({
          descriptor: d,
          bytes: await layout.readBlob(d.digest),
          manifest: await layout.readJson<ImageManifest>(d.digest),
        });
    } else {
      children.push({
        descriptor: root,
        bytes: rootBytes,
        manifest: JSON.parse(rootBytes.toString("utf8")) as ImageManifest,
      });
    }
    const client = new RegistryClient(registryHost(ref), {
      credentials: dockerCredentials(),
      ...opts.registry,
      insecure: opts.insecure,
      logger,
    });
    const blobs = new Map<string, Descriptor>();
    const mountFrom = new Map<string, string>();
    for (const { manifest } of children) {
      const base = manifest.annotations?.[BASE_NAME];
      const baseRef = base ? safeParse(base) : undefined;
      for (const d of [manifest.config, ...manifest.layers]) {
        blobs.set(d.digest, d);
        if (baseRef && baseRef.registry === ref.registry && baseRef.repository !== ref.repository)
          mountFrom.set(d.digest, baseRef.repository);
      }
    }
    const results: PushReport["blobs"] = [];
    const queue = [...blobs.values()];
    const totalBytes = queue.reduce((n, d) => n + d.size, 0);
    let doneBytes = 0;
    let failed = false; // after one upload fails, the other workers take no new blobs
    const worker = async () => {
      for (let d = queue.shift(); d && !failed; d = queue.shift()) {
        const file = layout.blobPath(d.digest);
        if (!fs.existsSync(file))
          throw new UserError(`${source}: blob ${d.digest} is missing`, { hint: "build the image again" });
        const fh = await fs.promises.open(file, "r");
        try {
          const read = async (offset: number, length: number) => {
            const buf = Buffer.alloc(length);
            const { bytesRead } = await fh.read(buf, 0, length, offset);
            return buf.subarray(0, bytesRead);
          };
          const outcome = await uploadBlob(client, ref.repository, d, read, {
            mountFrom: mountFrom.get(d.digest),
            monolithicLimit: opts.monolithicLimit,
            chunkSize: opts.chunkSize,
          });
          logger.debug(`${outcome.padEnd(8)} ${short(d.digest)} ${d.size} bytes`);
          results.push({ digest: d.digest, size: d.size, outcome });
          doneBytes += d.size;
          opts.onProgress?.(doneBytes, totalBytes);
        } finally {
          await fh.close();
        }
      }
    };
    await Promise.all(
      Array.from({ length: Math.max(1, opts.concurrency ?? 3) }, () =>
        worker().catch((e: unknown) => {
          failed = true;
          throw e;
        }),
      ),
    );
    for (const c of children)
      if (c !== children[0] || isIndex(root.mediaType))
        await putManifest(
          client,
          ref.repository,
          c.descriptor.digest,
          c.bytes,
          c.descriptor.mediaType ?? MEDIA.ociManifest,
        );
    const digest = await putManifest(client, ref.repository, ref.tag!, rootBytes, root.mediaType);
    results.sort((a, b) => (a.digest < b.digest ? -1 : 1));
    const up = results.filter((r) => r.outcome === "uploaded");
    return {
      reference: formatReference(ref),
      digest,
      mediaType: root.mediaType,
      blobs: results,
      uploaded: up.length,
      uploadedBytes: up.reduce((s, r) => s + r.size, 0),
      skipped: results.filter((r) => r.outcome === "exists").length,
      mounted: results.filter((r) => r.outcome === "mounted").length,
      manifests: children.length + (isIndex(root.mediaType) ? 1 : 0),
    };
  } finally {
    await cleanup();
  }
}

function safeParse(ref: string) {
  try {
    return parseReference(ref);
  } catch {
    return undefined;
  }
}
