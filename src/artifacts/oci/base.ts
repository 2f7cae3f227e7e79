/**
 * The base image, from a registry (manifest, config and layers pulled and digest-checked, layers
 * cached by digest), a local OCI layout directory, or a tarball (oci-archive, or docker-archive as
 * `docker save` writes it, old or new format). Yields, per requested platform, the config and
 * layer descriptors, and copies the layer blobs into the output layout.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { pipeline } from "node:stream/promises";
import crypto from "node:crypto";
import { UserError } from "../../errors.js";
import { RegistryClient, type RegistryClientOptions } from "../registry/client.js";
import { downloadBlob } from "../registry/blobs.js";
import { getManifest } from "../registry/manifests.js";
import {
  formatReference,
  parseReference,
  referenceTarget,
  registryHost,
  type ImageRef,
} from "../registry/reference.js";
import { extractArchive } from "./archive.js";
import { GzipOsByte } from "./layer.js";
import { formatPlatform, ociLayerMediaType, platformMatches, type ImageConfig } from "./image-config.js";
import {
  isIndex,
  MEDIA,
  OciLayout,
  selectRoot,
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
  type Platform,
} from "./layout.js";

export interface BaseImage {
  platform: Platform;
  config: ImageConfig;
  layers: Descriptor[];
  /** For the org.opencontainers.image.base.* annotations (registry bases only). */
  name?: string;
  digest?: string;
  /** Copies a layer blob into the output layout. */
  fetchLayer(layer: Descriptor, into: OciLayout): Promise<void>;
}

export interface BaseSource {
  kind: "registry" | "layout" | "archive";
  images: BaseImage[];
  /** The reference a Dockerfile's FROM can use (registry bases). */
  reference?: string;
  cleanup(): Promise<void>;
}

export interface ResolveBaseOptions {
  platforms: Platform[];
  registry?: Omit<RegistryClientOptions, "insecure"> & { insecureRegistries?: string[] };
  /** Blob cache for pulled layers (by digest). */
  cacheDir?: string;
}

export async function resolveBase(spec: string, opts: ResolveBaseOptions): Promise<BaseSource> {
  const local = spec.replace(/^(oci|oci-archive|docker-archive):/, "");
  if (fs.existsSync(local)) {
    if (fs.statSync(local).isDirectory())
      return fromLayout(openLocalLayout(local), local, opts.platforms, "layout", async () => {});
    const tmp = await fs.promises.mkdtemp(path.join(os.tmpdir(), "mlpack-base-"));
    const cleanup = () => fs.promises.rm(tmp, { recursive: true, force: true });
    try {
      extractArchive(local, tmp);
      const layout = fs.existsSync(path.join(tmp, "index.json"))
        ? new OciLayout(tmp)
        : await convertDockerArchive(tmp);
      return await fromLayout(layout, local, opts.platforms, "archive", cleanup);
    } catch (e) {
      await cleanup();
      throw e;
    }
  }
  return fromRegistry(parseReference(spec), opts);
}

/** A layout directory, or a `mlpack build` output directory holding one (oci/). */
export function openLocalLayout(dir: string): OciLayout {
  if (!fs.existsSync(path.join(dir, "oci-layout")) && fs.existsSync(path.join(dir, "oci", "oci-layout")))
    return OciLayout.open(path.join(dir, "oci"));
  return OciLayout.open(dir);
}

function pickManifests(index: ImageIndex, platforms: Platform[], source: string): Descriptor[] {
  return platforms.map((want) => {
    const found = index.manifests.find((m) => platformMatches(m.platform, want));
    if (!found)
      throw new UserError(`base image ${source} has no ${formatPlatform(want)} variant`, {
        hint: `it has: ${index.manifests.map((m) => (m.platform ? formatPlatform(m.platform) : "?")).join(", ")}; pick other targets.docker.platforms or another targets.docker.base`,
      });
    return found;
  });
}

function checkSingle(config: ImageConfig, platforms: Platform[], source: string): void {
  const have: Platform = { os: config.os, architecture: config.architecture, variant: config.variant };
  const bad = platforms.find((p) => !platformMatches(have, p));
  if (bad)
    throw new UserError(
      `base image ${source} is ${formatPlatform(have)} only; ${formatPlatform(bad)} was asked for`,
      {
        hint: "use a multi-platform base, or build only the platform it has",
      },
    );
}

async function fromLayout(
  layout: OciLayout,
  source: string,
  platforms: Platform[],
  kind: "layout" | "archive",
  cleanup: () => Promise<void>,
): Promise<BaseSource> {
  const root = selectRoot(await layout.readIndex(), source);
  const load = async (d: Descriptor) => layout.readJson<ImageManifest>(d.digest);
  let manifests: ImageManifest[];
  if (isIndex(root.mediaType)) {
    const inner = await layout.readJson<ImageIndex>(root.digest);
    manifests = await Promise.all(pickManifests(inner, platforms, source).map(load));
  } else {
    const m = await load(root);
    manifests = platforms.map(() => m);
  }
  const images: BaseImage[] = [];
  for (const [i, m] of manifests.entries()) {
    const config = await layout.readJson<ImageConfig>(m.config.digest);
    checkSingle(config, [platforms[i]], source);
    images.push({
      platform: platforms[i],
      config,
      layers: m.layers.map((l) => ({ ...l, mediaType: ociLayerMediaType(l.mediaType) })),
      fetchLayer: async (layer, into) => {
        if (!layout.hasBlob(layer.digest)) await layout.readBlob(layer.digest); // throws "missing"
        await into.importBlob(layout.blobPath(layer.digest), layer.digest);
      },
    });
  }
  return { kind, images, cleanup };
}

async function fromRegistry(ref: ImageRef, opts: ResolveBaseOptions): Promise<BaseSource> {
  const host = registryHost(ref);
  const client = new RegistryClient(host, {
    ...opts.registry,
    insecure: opts.registry?.insecureRegistries?.includes(ref.registry),
  });
  const name = formatReference(ref);
  const top = await getManifest(client, ref.repository, referenceTarget(ref));
  const parsed = JSON.parse(top.bytes.toString("utf8")) as ImageIndex & ImageManifest;
  let manifests: { manifest: ImageManifest; digest: string }[];
  if (isIndex(top.mediaType)) {
    manifests = await Promise.all(
      pickManifests(parsed, opts.platforms, name).map(async (d) => {
        const got = await getManifest(client, ref.repository, d.digest);
        return { manifest: JSON.parse(got.bytes.toString("utf8")) as ImageManifest, digest: got.digest };
      }),
    );
  } else if (top.mediaType === MEDIA.ociManifest || top.mediaType === MEDIA.dockerManifest) {
    manifests = opts.platforms.map(() => ({ manifest: parsed, digest: top.digest }));
  } else {
    throw new UserError(`base image ${name} has an unsupported manifest type ${top.mediaType}`, {
      hint: "use an OCI or Docker v2 (schema 2) image",
    });
  }
  const cache = opts.cacheDir ? path.join(opts.cacheDir, "blobs") : undefined;
  const images: BaseImage[] = [];
  for (const [i, { manifest, digest }] of manifests.entries()) {
    const cfgFile = await fs.promises.mkdtemp(path.join(os.tmpdir(), "mlpack-cfg-"));
    try {
      await downloadBlob(client, ref.repository, manifest.config.digest, path.join(cfgFile, "c"));
      const config = JSON.parse(await fs.promises.readFile(path.join(cfgFile, "c"), "utf8")) as ImageConfig;
      checkSingle(config, [opts.platforms[i]], name);
      images.push({
        platform: opts.platforms[i],
        config,
        layers: manifest.layers.map((l) => ({
          mediaType: ociLayerMediaType(l.mediaType),
          digest: l.digest,
          size: l.size,
        })),
        name,
        digest,
        fetchLayer: async (layer, into) => {
          if (into.hasBlob(layer.digest)) return;
          const cached = cache && path.join(cache, layer.digest.slice(7));
          if (cached && fs.existsSync(cached)) return into.importBlob(cached, layer.digest);
          const tmp = into.tempBlobPath();
          await downloadBlob(client, ref.repository, layer.digest, tmp);
          await into.commitTemp(tmp, layer.digest);
          if (cached) {
            await fs.promises.mkdir(cache!, { recursive: true });
            await fs.promises
              .link(into.blobPath(layer.digest), cached)
              .catch(() => fs.promises.copyFile(into.blobPath(layer.digest), cached));
          }
        },
      });
    } finally {
      await fs.promises.rm(cfgFile, { recursive: true, force: true });
    }
  }
  return { kind: "registry", images, reference: name, cleanup: async () => {} };
}

/** Old `docker save` output (manifest.json, <id>/layer.tar): gzip the layers into an OCI layout. */
async function convertDockerArchive(dir: string): Promise<OciLayout> {
  const file = path.join(dir, "manifest.json");
  if (!fs.existsSync(file))
    throw new UserError(`not an image tarball: no index.json or manifest.json inside`, {
      hint: "pass an oci-archive, a docker-archive (docker save), or a layout directory",
    });
  const [entry] = JSON.parse(fs.readFileSync(file, "utf8")) as { Config: string; Layers: string[] }[];
  const layout = await OciLayout.create(path.join(dir, "converted"));
  const layers: Descriptor[] = [];
  for (const rel of entry.Layers) {
    const src = path.join(dir, rel);
    const head = Buffer.alloc(2);
    const fd = fs.openSync(src, "r");
    fs.readSync(fd, head, 0, 2, 0);
    fs.closeSync(fd);
    const gz = head[0] === 0x1f && head[1] === 0x8b;
    const tmp = layout.tempBlobPath();
    const hash = crypto.createHash("sha256");
    let size = 0;
    const count = async function* (src2: AsyncIterable<Buffer>) {
      for await (const c of src2) {
        hash.update(c);
        size += c.length;
        yield c;
      }
    };
    if (gz) await pipeline(fs.createReadStream(src), count, fs.createWriteStream(tmp));
    else
      await pipeline(
        fs.createReadStream(src),
        zlib.createGzip({ chunkSize: 1 << 16 }),
        new GzipOsByte(),
        count,
        fs.createWriteStream(tmp),
      );
    const digest = "sha256:" + hash.digest("hex");
    await layout.commitTemp(tmp, digest);
    layers.push({ mediaType: MEDIA.ociLayerGzip, digest, size });
  }
  const configBytes = fs.readFileSync(path.join(dir, entry.Config));
  const config = await layout.writeBlob(configBytes, MEDIA.ociConfig);
  const manifest = await layout.writeJsonBlob(
    { schemaVersion: 2, mediaType: MEDIA.ociManifest, config, layers },
    MEDIA.ociManifest,
  );
  await layout.writeIndex({ schemaVersion: 2, manifests: [manifest.descriptor] });
  return layout;
}
