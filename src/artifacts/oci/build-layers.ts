/**
 * The daemonless build proper: for each platform, the base image's layers plus one layer per
 * Dockerfile COPY (identical COPYs across platforms are packed once and shared), the image config,
 * the manifest, and an index when there are several platforms.
 */
import { silentLogger, type Logger } from "../../log.js";
import { copyEntries, layerRole } from "./copy-layer.js";
import { buildImageConfig, buildIndex, buildManifest, createdTime, formatPlatform } from "./image-config.js";
import { writeLayer, type LayerResult } from "./layer.js";
import {
  BASE_DIGEST,
  BASE_NAME,
  MEDIA,
  OciLayout,
  REF_NAME,
  type Descriptor,
  type Platform,
} from "./layout.js";
import type { BaseSource } from "./base.js";
import type { DockerfilePlan } from "./dockerfile.js";
import { formatBytes } from "../../format-bytes.js";

export interface LayerReport {
  role: string;
  digest: string;
  diffId: string;
  size: number;
  uncompressedSize: number;
  cached: boolean;
}

export interface PlatformImage {
  platform: string;
  manifestDigest: string;
  configDigest: string;
  baseLayers: number;
  layers: LayerReport[];
  /** Compressed bytes of all layers (base included): what a pull downloads. */
  size: number;
  /** Bytes of the unpacked layers this build added. */
  addedUncompressed: number;
}

export interface DaemonlessInput {
  layoutDir: string;
  contextDir: string;
  platforms: Platform[];
  plans: DockerfilePlan[];
  base?: BaseSource;
  tag?: string;
  created?: number;
  gzipLevel?: number;
  cacheDir?: string;
  logger?: Logger;
}

export async function buildDaemonless(
  input: DaemonlessInput,
): Promise<{ digest: string; mediaType: string; platforms: PlatformImage[] }> {
  const logger = input.logger ?? silentLogger;
  const layout = await OciLayout.create(input.layoutDir);
  const created = createdTime(input.created);
  const packed = new Map<string, Promise<LayerResult>>();
  const pack = (src: string, dest: string) => {
    const key = `${src}\0${dest}`;
    let p = packed.get(key);
    if (!p) {
      p = writeLayer(layout, copyEntries(input.contextDir, { src, dest, line: 0, text: "" }), {
        gzipLevel: input.gzipLevel,
        cacheDir: input.cacheDir,
      });
      packed.set(key, p);
    }
    return p;
  };
  // Pack every distinct COPY concurrently: gzip runs on libuv's thread pool, one layer per thread.
  for (const plan of input.plans)
    for (const c of plan.copies) void pack(c.src, c.dest).catch(() => undefined);

  const tagName = input.tag ? input.tag.slice(input.tag.lastIndexOf(":") + 1) : "latest";
  const manifests: Descriptor[] = [];
  const reports: PlatformImage[] = [];
  for (const [i, platform] of input.platforms.entries()) {
    const plan = input.plans[i];
    const base = input.base?.images[i];
    if (base) {
      for (const l of base.layers) await base.fetchLayer(l, layout);
      const bytes = base.layers.reduce((s, l) => s + l.size, 0);
      logger.info(
        `${formatPlatform(platform)}: base ${base.name ?? "image"}: ${base.layers.length} layer(s), ${formatBytes(bytes)}`,
      );
    }
    const layers: LayerResult[] = [];
    const reportLayers: LayerReport[] = [];
    for (const c of plan.copies) {
      const l = await pack(c.src, c.dest);
      layers.push(l);
      reportLayers.push({
        role: layerRole(c.src),
        digest: l.descriptor.digest,
        diffId: l.diffId,
        size: l.descriptor.size,
        uncompressedSize: l.uncompressedSize,
        cached: l.cached,
      });
      logger.info(
        `${formatPlatform(platform)}: layer ${layerRole(c.src)}: ${formatBytes(l.descriptor.size)} (${formatBytes(l.uncompressedSize)} unpacked)${l.cached ? ", cached" : ""} ${l.descriptor.digest.slice(0, 19)}`,
      );
    }
    const config = buildImageConfig({
      base: base?.config,
      platform,
      plan,
      diffIds: layers.map((l) => l.diffId),
      created,
    });
    const { descriptor: configDesc } = await layout.writeJsonBlob(config, MEDIA.ociConfig);
    const annotations: Record<string, string> = {};
    if (base?.name) annotations[BASE_NAME] = base.name;
    if (base?.digest) annotations[BASE_DIGEST] = base.digest;
    const allLayers = [...(base?.layers ?? []), ...layers.map((l) => l.descriptor)];
    const manifest = buildManifest(configDesc, allLayers, annotations);
    const { descriptor } = await layout.writeJsonBlob(manifest, MEDIA.ociManifest);
    manifests.push({ ...descriptor, platform });
    reports.push({
      platform: formatPlatform(platform),
      manifestDigest: descriptor.digest,
      configDigest: configDesc.digest,
      baseLayers: base?.layers.length ?? 0,
      layers: reportLayers,
      size: allLayers.reduce((s, l) => s + l.size, 0),
      addedUncompressed: layers.reduce((s, l) => s + l.uncompressedSize, 0),
    });
  }
  let root: Descriptor;
  if (manifests.length === 1) {
    root = manifests[0];
  } else {
    const { descriptor } = await layout.writeJsonBlob(buildIndex(manifests), MEDIA.ociIndex);
    root = descriptor;
  }
  await layout.writeIndex({
    schemaVersion: 2,
    manifests: [{ ...root, annotations: { [REF_NAME]: tagName } }],
  });
  return { digest: root.digest, mediaType: root.mediaType, platforms: reports };
}
