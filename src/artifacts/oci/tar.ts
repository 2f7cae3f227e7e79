/**
 * A deterministic tar writer (ustar headers, pax records for long names) and a small reader.
 *
 * Why not node-tar: it derives headers from the filesystem (mtime, uid/gid, uname, device numbers,
 * directory order), so two builds of the same files give different bytes. Image layers must be
 * byte-identical for identical inputs, so every header field here comes from the entry itself:
 * mtime 0, uid/gid as given, empty uname/gname, modes as given, entries sorted by path.
 */
import fs from "node:fs";
import { UserError } from "../../errors.js";

export type TarEntry =
  | { path: string; type: "dir"; mode: number; uid?: number; gid?: number }
  | { path: string; type: "symlink"; target: string; uid?: number; gid?: number }
  | {
      path: string;
      type: "file";
      mode: number;
      size: number;
      uid?: number;
      gid?: number;
      /** A file on disk (streamed) or bytes in memory. */
      source: { file: string } | { bytes: Uint8Array };
    };

const BLOCK = 512;
const CHUNK = 1 << 20;

/** Byte order of UTF-8 paths: the order the entries are written in. */
export function comparePaths(a: string, b: string): number {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return Buffer.compare(x, y);
}

/** Checks paths (relative, no "..", no duplicates) and sorts the entries. */
export function sortEntries(entries: TarEntry[]): TarEntry[] {
  const seen = new Set<string>();
  for (const e of entries) {
    if (e.path === "" || e.path.startsWith("/") || e.path.endsWith("/") || e.path.split("/").includes(".."))
      throw new Error(`tar entry path must be relative and normalized: "${e.path}"`);
    if (seen.has(e.path)) throw new Error(`duplicate tar entry "${e.path}"`);
    seen.add(e.path);
  }
  return [...entries].sort((a, b) => comparePaths(a.path, b.path));
}

/** The tar stream of the entries, in path order, ending with the two zero blocks. */
export async function* tarChunks(entries: TarEntry[]): AsyncGenerator<Buffer> {
  for (const e of sortEntries(entries)) {
    yield header(e);
    if (e.type !== "file") continue;
    if ("bytes" in e.source) {
      if (e.source.bytes.length !== e.size) throw new Error(`tar entry "${e.path}": size mismatch`);
      yield Buffer.from(e.source.bytes);
    } else {
      yield* fileChunks(e.source.file, e.size);
    }
    const pad = (BLOCK - (e.size % BLOCK)) % BLOCK;
    if (pad) yield Buffer.alloc(pad);
  }
  yield Buffer.alloc(BLOCK * 2);
}

async function* fileChunks(file: string, size: number): AsyncGenerator<Buffer> {
  const fh = await fs.promises.open(file, "r");
  try {
    let pos = 0;
    while (pos < size) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, size - pos));
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
    }
    const tail = Buffer.alloc(1);
    if (pos !== size || (await fh.read(tail, 0, 1, pos)).bytesRead !== 0)
      throw new UserError(`${file} changed while it was being packed (expected ${size} bytes)`, {
        hint: "do not modify the inputs during a build; run it again",
      });
  } finally {
    await fh.close();
  }
}

function header(e: TarEntry): Buffer {
  const name = e.type === "dir" ? e.path + "/" : e.path;
  const link = e.type === "symlink" ? e.target : "";
  const size = e.type === "file" ? e.size : 0;
  const pax: [string, string][] = [];
  const split = splitName(name);
  if (!split) pax.push(["path", name]);
  if (Buffer.byteLength(link) > 100) pax.push(["linkpath", link]);
  if (size > 0o77777777777) pax.push(["size", String(size)]);
  const ustar = ustarHeader({
    name: split?.name ?? name.slice(0, 100),
    prefix: split?.prefix ?? "",
    mode: e.type === "symlink" ? 0o777 : e.mode,
    uid: e.uid ?? 0,
    gid: e.gid ?? 0,
    size: size > 0o77777777777 ? 0 : size,
    typeflag: e.type === "file" ? "0" : e.type === "dir" ? "5" : "2",
    linkname: link.slice(0, 100),
  });
  if (pax.length === 0) return ustar;
  const body = Buffer.from(pax.map(([k, v]) => paxRecord(k, v)).join(""));
  const paxHead = ustarHeader({
    name:
      "PaxHeader/" +
      Buffer.from(name)
        .subarray(0, 80)
        .toString("latin1")
        .replace(/[^\x20-\x7e]/g, "_"),
    prefix: "",
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: body.length,
    typeflag: "x",
    linkname: "",
  });
  const pad = Buffer.alloc((BLOCK - (body.length % BLOCK)) % BLOCK);
  return Buffer.concat([paxHead, body, pad, ustar]);
}

/** "LEN key=value\n" where LEN counts itself. */
function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(rest) + 1;
  while (String(len).length + Buffer.byteLength(rest) !== len) len++;
  return `${len}${rest}`;
}

/** ustar keeps names up to 100 bytes, or 155 + "/" + 100 split at a slash. */
function splitName(name: string): { name: string; prefix: string } | undefined {
  const bytes = Buffer.from(name);
  if (bytes.length <= 100) return { name, prefix: "" };
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== "/" || i === name.length - 1) continue;
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100) return { name: rest, prefix };
  }
  return undefined;
}

interface Fields {
  name: string;
  prefix: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  typeflag: string;
  linkname: string;
}

function ustarHeader(f: Fields): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(f.name, 0, 100, "utf8");
  octal(b, 100, 8, f.mode & 0o7777);
  octal(b, 108, 8, f.uid);
  octal(b, 116, 8, f.gid);
  octal(b, 124, 12, f.size);
  octal(b, 136, 12, 0); // mtime
  b.fill(0x20, 148, 156); // checksum placeholder: spaces
  b.write(f.typeflag, 156, 1, "latin1");
  b.write(f.linkname, 157, 100, "utf8");
  b.write("ustar\u000000", 257, 8, "latin1");
  octal(b, 329, 8, 0); // devmajor
  octal(b, 337, 8, 0); // devminor
  b.write(f.prefix, 345, 155, "utf8");
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i];
  b.write(sum.toString(8).padStart(6, "0") + "\u0000 ", 148, 8, "latin1");
  return b;
}

function octal(b: Buffer, off: number, len: number, n: number): void {
  b.write(n.toString(8).padStart(len - 1, "0") + "\u0000", off, len, "latin1");
}

// ---- reading -------------------------------------------------------------------------------

export interface TarHeader {
  path: string;
  type: "file" | "dir" | "symlink" | "hardlink" | "other";
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  size: number;
  linkname: string;
  uname: string;
  gname: string;
  /** Offset of the entry's data in the archive. */
  offset: number;
}

/** Parses every header of an uncompressed tar held in a buffer (pax and GNU long names included). */
export function listTar(buf: Uint8Array): TarHeader[] {
  const data = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return parseHeaders((pos, len) => data.subarray(pos, pos + len), data.length);
}

/** The same, reading an uncompressed tar file by offsets (archives can be larger than memory). */
export function listTarFile(fd: number, size: number): TarHeader[] {
  return parseHeaders((pos, len) => {
    const b = Buffer.alloc(len);
    const n = fs.readSync(fd, b, 0, len, pos);
    return b.subarray(0, n);
  }, size);
}

function parseHeaders(read: (pos: number, len: number) => Buffer, total: number): TarHeader[] {
  const out: TarHeader[] = [];
  let pos = 0;
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  while (pos + BLOCK <= total) {
    const h = read(pos, BLOCK);
    if (h.length < BLOCK || h.every((x) => x === 0)) break;
    const str = (o: number, l: number) => {
      const s = h.subarray(o, o + l);
      const z = s.indexOf(0);
      return (z >= 0 ? s.subarray(0, z) : s).toString("utf8");
    };
    const num = (o: number, l: number) => parseInt(str(o, l).trim() || "0", 8);
    const type = String.fromCharCode(h[156] || 0x30);
    let size = num(124, 12);
    if (pax.size) size = Number(pax.size);
    const dataAt = pos + BLOCK;
    const next = dataAt + Math.ceil(size / BLOCK) * BLOCK;
    if (type === "x" || type === "g") {
      if (type === "x") pax = parsePax(read(dataAt, size).toString("utf8"));
      pos = next;
      continue;
    }
    if (type === "L" || type === "K") {
      const s = read(dataAt, size).toString("utf8").replace(/\0+$/, "");
      if (type === "L") longName = s;
      else longLink = s;
      pos = next;
      continue;
    }
    const prefix = str(345, 155);
    let path = pax.path ?? longName ?? (prefix ? `${prefix}/${str(0, 100)}` : str(0, 100));
    path = path.replace(/^\.\//, "").replace(/\/$/, "");
    out.push({
      path,
      type:
        type === "0" || type === "\0" || type === "7"
          ? "file"
          : type === "5"
            ? "dir"
            : type === "2"
              ? "symlink"
              : type === "1"
                ? "hardlink"
                : "other",
      mode: num(100, 8),
      uid: num(108, 8),
      gid: num(116, 8),
      mtime: num(136, 12),
      size,
      linkname: pax.linkpath ?? longLink ?? str(157, 100),
      uname: str(265, 32),
      gname: str(297, 32),
      offset: dataAt,
    });
    pax = {};
    longName = longLink = undefined;
    pos = next;
  }
  return out;
}

function parsePax(text: string): Record<string, string> {
  const rec: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const sp = text.indexOf(" ", i);
    if (sp < 0) break;
    const len = parseInt(text.slice(i, sp), 10);
    if (!(len > 0)) break;
    const line = Buffer.from(text.slice(i)).subarray(0, len).toString("utf8");
    const kv = line.slice(line.indexOf(" ") + 1, -1);
    const eq = kv.indexOf("=");
    rec[kv.slice(0, eq)] = kv.slice(eq + 1);
    i += line.length;
  }
  return rec;
}
