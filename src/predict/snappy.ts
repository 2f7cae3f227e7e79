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
  const read: ReadAt = (into, offset, n, pos) => {
    if (pos + n > src.length) throw new SnappyError("snappy: truncated");
    into.set(src.subarray(pos, pos + n), offset);
  };
  snappyUncompressAt(read, 0, src.length, out, new Uint8Array(Math.min(src.length + 8, 1 << 16)));
}

/** Reads `n` bytes at position `pos` of a file into `into` at `offset` (all of them, or throws). */
export type ReadAt = (into: Uint8Array, offset: number, n: number, pos: number) => void;

/**
 * Decompresses the snappy block at bytes [pos, pos + size) of a file into `out`, reading it through
 * `window` (reused; 64 KB or more) instead of holding the whole compressed block: long literals are
 * read from the file straight into `out`. A 32 MB page then needs one 32 MB buffer, not two (each
 * first touch of fresh memory costs ~3 ms a MB on this VM).
 */
export function snappyUncompressAt(
  read: ReadAt,
  pos: number,
  size: number,
  out: Uint8Array,
  window: Uint8Array,
): void {
  const end = pos + size;
  let w = 0;
  // The window is filled here and refilled in the loop (what is left kept, more read after it),
  // written out rather than as a closure: a closure made per call is a new call target each time,
  // and V8 threw away the optimised loop on every page ("wrong call target").
  let wEnd = Math.max(0, Math.min(window.length, end - pos));
  if (wEnd > 0) read(window, 0, wEnd, pos);
  pos += wEnd;
  if (snappyLength(window.subarray(0, wEnd)) !== out.length) throw new SnappyError("snappy: length mismatch");
  while (window[w++] & 0x80); // past the length snappyLength read (at most 5 bytes)
  let o = 0;
  for (;;) {
    if (wEnd - w < 5 && pos < end) {
      const keep = wEnd - w;
      window.copyWithin(0, w, wEnd);
      w = 0;
      wEnd = keep;
      const n = Math.min(window.length - keep, end - pos);
      if (n > 0) {
        read(window, keep, n, pos);
        pos += n;
        wEnd += n;
      }
    }
    if (w >= wEnd) break;
    const tag = window[w++];
    const kind = tag & 3;
    if (kind === 0) {
      let n = tag >>> 2;
      if (n >= 60) {
        const extra = n - 59;
        if (w + extra > wEnd) throw new SnappyError("snappy: truncated literal");
        n = 0;
        for (let k = 0, m = 1; k < extra; k++, m *= 256) n += window[w + k] * m;
        w += extra;
      }
      n += 1;
      if (o + n > out.length) throw new SnappyError("snappy: literal past the end");
      const here = Math.min(n, wEnd - w);
      if (here < 32) for (let k = 0; k < here; k++) out[o + k] = window[w + k];
      else out.set(window.subarray(w, w + here), o);
      w += here;
      const rest = n - here;
      if (rest > 0) {
        // the window is used up: the rest of the literal comes from the file straight into `out`
        if (pos + rest > end) throw new SnappyError("snappy: literal past the end");
        read(out, o + here, rest, pos);
        pos += rest;
      }
      o += n;
      continue;
    }
    let n: number;
    let off: number;
    if (kind === 1) {
      n = ((tag >>> 2) & 7) + 4;
      off = ((tag >>> 5) << 8) | window[w++];
    } else if (kind === 2) {
      n = (tag >>> 2) + 1;
      off = window[w] | (window[w + 1] << 8);
      w += 2;
    } else {
      n = (tag >>> 2) + 1;
      off = (window[w] | (window[w + 1] << 8) | (window[w + 2] << 16) | (window[w + 3] << 24)) >>> 0;
      w += 4;
    }
    if (w > wEnd || off === 0 || off > o || o + n > out.length) throw new SnappyError("snappy: bad copy");
    const from = o - off;
    if (off >= n && n >= 32) out.copyWithin(o, from, from + n);
    else for (let k = 0; k < n; k++) out[o + k] = out[from + k];
    o += n;
  }
  if (o !== out.length) throw new SnappyError("snappy: short block");
}
