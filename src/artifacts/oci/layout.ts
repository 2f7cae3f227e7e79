/**
 * The OCI image layout on disk (oci-layout, index.json, blobs/sha256/...): content-addressed blobs
 * written to a temporary name and renamed once their digest is known.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { UserError } from "../../errors.js";

export const MEDIA = {
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  ociLayer: "application/vnd.oci.image.layer.v1.tar",
  ociForeignGzip: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  dockerForeignGzip: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
} as const;

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export const REF_NAME = "org.opencontainers.image.ref.name";
export const BASE_NAME = "org.opencontainers.image.base.name";
export const BASE_DIGEST = "org.opencontainers.image.base.digest";

export function sha256(bytes: Uint8Array): string {
  return "sha256:" + crypto.createHash("sha256").update(bytes).digest("hex");
}

export function isIndex(mediaType: string | undefined): boolean {
  return mediaType === MEDIA.ociIndex || mediaType === MEDIA.dockerList;
}

/** Checks a digest string before it is used as a file name. */
export function digestHex(digest: string): string {
  const m = /^sha256:([a-f0-9]{64})$/.exec(digest);
  if (!m)
    throw new UserError(`unsupported or malformed digest "${digest}"`, {
      hint: "only sha256 digests are supported",
    });
  return m[1];
}

export class OciLayout {
  constructor(readonly dir: string) {}

  static async create(dir: string): Promise<OciLayout> {
    await fs.promises.mkdir(path.join(dir, "blobs", "sha256"), { recursive: true });
    await fs.promises.writeFile(
      path.join(dir, "oci-layout"),
      JSON.stringify({ imageLayoutVersion: "1.0.0" }),
    );
    return new OciLayout(dir);
  }

  /** Opens an existing layout, or explains what is missing. */
  static open(dir: string): OciLayout {
    if (!fs.existsSync(path.join(dir, "oci-layout")) || !fs.existsSync(path.join(dir, "index.json")))
      throw new UserError(`${dir} is not an OCI image layout (no oci-layout and index.json)`, {
        hint: "pass OUTPUT/docker from `mlpack build` with targets.docker.format: oci in mlpack.yaml (a directory with oci-layout, index.json and blobs/), or its oci-archive.tar / docker-archive.tar",
      });
    return new OciLayout(dir);
  }

  blobPath(digest: string): string {
    return path.join(this.dir, "blobs", "sha256", digestHex(digest));
  }

  hasBlob(digest: string): boolean {
    return fs.existsSync(this.blobPath(digest));
  }

  async readBlob(digest: string): Promise<Buffer> {
    try {
      return await fs.promises.readFile(this.blobPath(digest));
    } catch {
      throw new UserError(`${this.dir}: blob ${digest} is missing`, {
        hint: "the image layout is incomplete; build it again",
      });
    }
  }

  async readJson<T>(digest: string): Promise<T> {
    const bytes = await this.readBlob(digest);
    if (sha256(bytes) !== digest)
      throw new UserError(`${this.dir}: blob ${digest} does not match its digest`, {
        hint: "the image layout is corrupt; build it again",
      });
    return JSON.parse(bytes.toString("utf8")) as T;
  }

  /** Writes bytes as a blob (idempotent) and returns its descriptor. */
  async writeBlob(bytes: Uint8Array, mediaType: string): Promise<Descriptor> {
    const digest = sha256(bytes);
    const target = this.blobPath(digest);
    if (!fs.existsSync(target)) {
      const tmp = `${target}.tmp-${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
      await fs.promises.writeFile(tmp, bytes);
      await fs.promises.rename(tmp, target);
    }
    return { mediaType, digest, size: bytes.length };
  }

  async writeJsonBlob(value: unknown, mediaType: string): Promise<{ descriptor: Descriptor; bytes: Buffer }> {
    const bytes = Buffer.from(JSON.stringify(value));
    return { descriptor: await this.writeBlob(bytes, mediaType), bytes };
  }

  /** A temp file inside the layout to stream a blob into before its digest is known. */
  tempBlobPath(): string {
    return path.join(
      this.dir,
      "blobs",
      "sha256",
      `.tmp-${process.pid}-${crypto.randomBytes(6).toString("hex")}`,
    );
  }

  /** Moves a finished temp file to its content address. */
  async commitTemp(tmp: string, digest: string): Promise<void> {
    await fs.promises.rename(tmp, this.blobPath(digest));
  }

  /** Copies (or hard-links) a blob file that is already known to have this digest. */
  async importBlob(file: string, digest: string): Promise<void> {
    const target = this.blobPath(digest);
    if (fs.existsSync(target)) return;
    const tmp = this.tempBlobPath();
    try {
      await fs.promises.link(file, tmp);
    } catch {
      await fs.promises.copyFile(file, tmp);
    }
    await fs.promises.rename(tmp, target);
  }

  async writeIndex(index: ImageIndex): Promise<void> {
    const file = path.join(this.dir, "index.json");
    await fs.promises.writeFile(file + ".tmp", JSON.stringify(index));
    await fs.promises.rename(file + ".tmp", file);
  }

  async readIndex(): Promise<ImageIndex> {
    const text = await fs.promises.readFile(path.join(this.dir, "index.json"), "utf8");
    return JSON.parse(text) as ImageIndex;
  }
}

/** Picks the image a layout holds: the one named `ref` (org.opencontainers.image.ref.name) or the only one. */
export function selectRoot(index: ImageIndex, source: string, ref?: string): Descriptor {
  const named = ref ? index.manifests.filter((m) => m.annotations?.[REF_NAME] === ref) : index.manifests;
  if (named.length === 1) return named[0];
  const names = index.manifests.map((m) => m.annotations?.[REF_NAME] ?? m.digest).join(", ");
  throw new UserError(
    named.length === 0
      ? `${source} has no image named "${ref ?? ""}"`
      : `${source} holds ${named.length} images`,
    { hint: `name one of: ${names || "(none)"}` },
  );
}
