/**
 * Blob operations: HEAD to skip what the registry has, cross-repository mount, monolithic and
 * chunked uploads, download with digest check. Every upload hashes the bytes it sends and commits
 * (the final PUT) only when they match the digest, so a corrupt blob is never pushed.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import { UserError } from "../../errors.js";
import { RegistryClient, RegistryError } from "./client.js";

export type BlobReader = (offset: number, length: number) => Promise<Buffer>;

export interface UploadOptions {
  /** Try a cross-repository mount from this repository first (same registry). */
  mountFrom?: string;
  /** Blobs up to this size go in one PUT (default 32 MiB); bigger ones in PATCH chunks. */
  monolithicLimit?: number;
  chunkSize?: number;
}

export type UploadOutcome = "exists" | "mounted" | "uploaded";

export class DigestMismatchError extends UserError {}

const push = (repo: string) => `repository:${repo}:pull,push`;

export async function hasBlob(client: RegistryClient, repo: string, digest: string): Promise<boolean> {
  const res = await client.request({
    method: "HEAD",
    url: `/v2/${repo}/blobs/${digest}`,
    scopes: [push(repo)],
    ok: [200, 404],
    retry: true,
    what: `HEAD blob ${short(digest)}`,
  });
  return res.status === 200;
}

export function short(digest: string): string {
  return digest.slice(0, 19);
}

function withDigest(location: string, digest: string): string {
  return location + (location.includes("?") ? "&" : "?") + "digest=" + encodeURIComponent(digest);
}

function locationOf(res: Response, what: string): string {
  const loc = res.headers.get("location");
  if (!loc)
    throw new RegistryError(
      `${what}: the registry sent no upload Location`,
      res.status,
      undefined,
      "the registry does not follow the distribution API",
    );
  return loc;
}

function checkReportedDigest(res: Response, digest: string, what: string): void {
  const got = res.headers.get("docker-content-digest");
  if (got && got !== digest)
    throw new RegistryError(
      `${what}: the registry stored it as ${got}, not ${digest}`,
      res.status,
      "DIGEST_INVALID",
      "something between here and the registry altered the upload; push again, and check proxies",
    );
}

/** Uploads one blob unless the registry has it; restarts the whole upload after a transient failure. */
export async function uploadBlob(
  client: RegistryClient,
  repo: string,
  blob: { digest: string; size: number },
  read: BlobReader,
  opts: UploadOptions = {},
): Promise<UploadOutcome> {
  if (await hasBlob(client, repo, blob.digest)) return "exists";
  for (let attempt = 1; ; attempt++) {
    try {
      return await uploadOnce(client, repo, blob, read, opts);
    } catch (e) {
      const transient =
        !(e instanceof UserError) ||
        (e instanceof RegistryError && (e.status === 0 || RegistryClient.retryable(e.status)));
      if (!transient || e instanceof DigestMismatchError || attempt > client.retries) throw e;
      client.warn(`${(e as Error).message}; restarting the upload (${attempt}/${client.retries})`);
      await client.backoff(attempt);
    }
  }
}

async function uploadOnce(
  client: RegistryClient,
  repo: string,
  blob: { digest: string; size: number },
  read: BlobReader,
  opts: UploadOptions,
): Promise<UploadOutcome> {
  const what = `upload blob ${short(blob.digest)} to ${repo}`;
  const scopes = opts.mountFrom ? [push(repo), `repository:${opts.mountFrom}:pull`] : [push(repo)];
  const query = opts.mountFrom
    ? `?mount=${encodeURIComponent(blob.digest)}&from=${encodeURIComponent(opts.mountFrom)}`
    : "";
  const start = await client.request({
    method: "POST",
    url: `/v2/${repo}/blobs/uploads/${query}`,
    scopes,
    ok: [201, 202],
    retry: true,
    what,
  });
  await start.arrayBuffer();
  if (start.status === 201) return "mounted";
  let location = locationOf(start, what);
  const hash = crypto.createHash("sha256");
  const limit = opts.monolithicLimit ?? 32 << 20;
  const cancel = async () => {
    await client
      .request({ method: "DELETE", url: location, scopes, ok: [204, 202, 200, 404], what: `cancel ${what}` })
      .catch(() => undefined);
  };
  if (blob.size <= limit) {
    const bytes = await read(0, blob.size);
    hash.update(bytes);
    await refuseMismatch(hash, blob.digest, bytes.length, blob.size, cancel);
    const res = await client.request({
      method: "PUT",
      url: withDigest(location, blob.digest),
      scopes,
      headers: { "content-type": "application/octet-stream" },
      body: bytes,
      ok: [201, 204],
      what,
    });
    await res.arrayBuffer();
    checkReportedDigest(res, blob.digest, what);
    return "uploaded";
  }
  const chunk = opts.chunkSize ?? 16 << 20;
  let sent = 0;
  while (sent < blob.size) {
    const bytes = await read(sent, Math.min(chunk, blob.size - sent));
    if (bytes.length === 0) break;
    hash.update(bytes);
    const res = await client.request({
      method: "PATCH",
      url: location,
      scopes,
      headers: {
        "content-type": "application/octet-stream",
        "content-range": `${sent}-${sent + bytes.length - 1}`,
      },
      body: bytes,
      ok: [202, 204],
      what: `${what} (bytes ${sent}-${sent + bytes.length - 1})`,
    });
    await res.arrayBuffer();
    location = locationOf(res, what);
    sent += bytes.length;
  }
  await refuseMismatch(hash, blob.digest, sent, blob.size, cancel);
  const res = await client.request({
    method: "PUT",
    url: withDigest(location, blob.digest),
    scopes,
    ok: [201, 204],
    what,
  });
  await res.arrayBuffer();
  checkReportedDigest(res, blob.digest, what);
  return "uploaded";
}

async function refuseMismatch(
  hash: crypto.Hash,
  digest: string,
  got: number,
  want: number,
  cancel: () => Promise<void>,
): Promise<void> {
  const actual = "sha256:" + hash.digest("hex");
  if (actual === digest && got === want) return;
  await cancel();
  throw new DigestMismatchError(
    `blob ${digest} is corrupt: its ${got} bytes hash to ${actual} (expected ${want} bytes); nothing was pushed for it`,
    { hint: "the local image is damaged; build it again" },
  );
}

/** Downloads a blob to a file, checking size and digest; the file is removed when they differ. */
export async function downloadBlob(
  client: RegistryClient,
  repo: string,
  digest: string,
  dest: string,
): Promise<number> {
  const res = await client.request({
    method: "GET",
    url: `/v2/${repo}/blobs/${digest}`,
    scopes: [`repository:${repo}:pull`],
    ok: [200],
    retry: true,
    what: `download blob ${short(digest)} from ${repo}`,
  });
  const hash = crypto.createHash("sha256");
  const out = fs.createWriteStream(dest);
  let size = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      size += chunk.length;
      if (!out.write(chunk)) await new Promise<void>((r) => out.once("drain", () => r()));
    }
  } finally {
    await new Promise<void>((resolve, reject) =>
      out.end((err?: Error | null) => (err ? reject(err) : resolve())),
    );
  }
  const actual = "sha256:" + hash.digest("hex");
  if (actual !== digest) {
    await fs.promises.rm(dest, { force: true });
    throw new DigestMismatchError(`blob ${digest} from ${client.host}/${repo} hashes to ${actual}`, {
      hint: "the registry or a proxy served corrupt data; try again",
    });
  }
  return size;
}
