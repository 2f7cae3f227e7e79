/**
 * A small reader of a zip's central directory (no Zip64: Lambda zips stay far below 4 GiB). The
 * builder uses it for the per-part compressed sizes; the tests use it to check modes and times.
 */
import fs from "node:fs";
import zlib from "node:zlib";

export interface ZipEntryInfo {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  /** Unix mode from the external attributes (type bits included). */
  mode: number;
  /** High byte of "version made by": 3 = Unix. */
  madeBy: number;
  dosTime: number;
  dosDate: number;
  extraLength: number;
  localHeaderOffset: number;
}

export function readZipDirectory(buf: Buffer): ZipEntryInfo[] {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--)
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  if (eocd < 0) throw new Error("not a zip file: no end-of-central-directory record");
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out: ZipEntryInfo[] = [];
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`zip: bad central directory entry ${i}`);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    out.push({
      madeBy: buf.readUInt8(p + 5),
      method: buf.readUInt16LE(p + 10),
      dosTime: buf.readUInt16LE(p + 12),
      dosDate: buf.readUInt16LE(p + 14),
      crc32: buf.readUInt32LE(p + 16),
      compressedSize: buf.readUInt32LE(p + 20),
      size: buf.readUInt32LE(p + 24),
      extraLength: extraLen,
      mode: buf.readUInt32LE(p + 38) >>> 16,
      localHeaderOffset: buf.readUInt32LE(p + 42),
      name: buf.toString("utf8", p + 46, p + 46 + nameLen),
    });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

export function readZipFileDirectory(file: string): ZipEntryInfo[] {
  return readZipDirectory(fs.readFileSync(file));
}

/** One entry's bytes (stored or deflated). */
export function extractEntry(buf: Buffer, e: ZipEntryInfo): Buffer {
  const p = e.localHeaderOffset;
  if (buf.readUInt32LE(p) !== 0x04034b50) throw new Error(`zip: bad local header for ${e.name}`);
  const start = p + 30 + buf.readUInt16LE(p + 26) + buf.readUInt16LE(p + 28);
  const raw = buf.subarray(start, start + e.compressedSize);
  if (e.method === 0) return Buffer.from(raw);
  if (e.method === 8) return zlib.inflateRawSync(raw);
  throw new Error(`zip: ${e.name} uses compression method ${e.method}`);
}
