/**
 * Snappy decompression (the raw block format Parquet pages use; DuckDB's default Parquet codec).
 *
 * Hand-written for speed and install size: Node has no snappy in zlib, the native `snappy` package
 * ships a prebuilt binary per platform, and the pure-JS ones are unmaintained and slower (they copy
 * byte by byte; here long literals and copies are one TypedArray.set / copyWithin). The format is
 * ~40 lines: https://github.com/google/snappy/blob/main/format_description.txt
 */

export class SnappyError extends Error {}

/** The uncompressed length a snappy block declares (its leading varint). */
export function snappyLength(src: Uint8Array): number {
  let len = 0;
  for (let pos = 0, shift = 1; pos < 5 && pos < src.length; pos++, shift *= 128) {
    const b = src[pos];
    len += (b & 0x7f) * shift;
    if ((b & 0x80) === 0) return len;
  }
  throw new SnappyError("snappy: bad length");
}

/** Decompresses `src` into `out`, whose length must be the block's uncompressed length. */
export function snappyUncompress(src: Uint8Array, out: Uint8Array): void {
  let pos = 0;
  while (pos < src.length && src[pos] & 0x80) pos++;
  pos++;
  if (snappyLength(src) !== out.length) throw new SnappyError("snappy: length mismatch");
  const end = src.length;
  let o = 0;
  while (pos < end) {
    const tag = src[pos++];
    const kind = tag & 3;
    if (kind === 0) {
      let n = tag >>> 2;
      if (n >= 60) {
        const extra = n - 59;
        if (pos + extra > end) throw new SnappyError("snappy: truncated literal");
        n = 0;
        for (let k = 0, m = 1; k < extra; k++, m *= 256) n += src[pos + k] * m;
        pos += extra;
      }
      n += 1;
      if (pos + n > end || o + n > out.length) throw new SnappyError("snappy: literal past the end");
      if (n < 32) for (let k = 0; k < n; k++) out[o + k] = src[pos + k];
      else out.set(src.subarray(pos, pos + n), o);
      pos += n;
      o += n;
      continue;
    }
    let n: number;
    let off: number;
    if (kind === 1) {
      n = ((tag >>> 2) & 7) + 4;
      off = ((tag >>> 5) << 8) | src[pos++];
    } else if (kind === 2) {
      n = (tag >>> 2) + 1;
      off = src[pos] | (src[pos + 1] << 8);
      pos += 2;
    } else {
      n = (tag >>> 2) + 1;
      off = (src[pos] | (src[pos + 1] << 8) | (src[pos + 2] << 16) | (src[pos + 3] << 24)) >>> 0;
      pos += 4;
    }
    if (pos > end || off === 0 || off > o || o + n > out.length) throw new SnappyError("snappy: bad copy");
    const from = o - off;
    if (off >= n && n >= 32) out.copyWithin(o, from, from + n);
    else for (let k = 0; k < n; k++) out[o + k] = out[from + k]; // overlapping copies repeat bytes
    o += n;
  }
  if (o !== out.length) throw new SnappyError("snappy: short block");
}
