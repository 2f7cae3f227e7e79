import { describe, expect, it } from "vitest";
import { snappyLength, snappyUncompress, snappyUncompressAt } from "./snappy.js";

const block = (...bytes: number[]) => Uint8Array.from(bytes);
const run = (src: Uint8Array) => {
  const out = new Uint8Array(snappyLength(src));
  snappyUncompress(src, out);
  // the same block read through windows of 8 and 64 bytes from a "file" with 3 bytes in front
  const file = Uint8Array.from([9, 9, 9, ...src]);
  for (const size of [8, 64]) {
    const again = new Uint8Array(out.length);
    snappyUncompressAt(
      (into, offset, n, pos) => {
        if (pos + n > file.length) throw new Error("read past the end");
        into.set(file.subarray(pos, pos + n), offset);
      },
      3,
      src.length,
      again,
      new Uint8Array(size),
    );
    expect(Array.from(again)).toEqual(Array.from(out));
  }
  return Array.from(out);
};

describe("snappy", () => {
  it("decodes literals and copies with 1-, 2- and 4-byte offsets, overlapping ones included", () => {
    // "ab" then a 1-byte-offset copy of 6 at offset 2 (overlapping: repeats "ab")
    expect(run(block(8, 0x04, 97, 98, 0x01 | ((6 - 4) << 2), 2))).toEqual([97, 98, 97, 98, 97, 98, 97, 98]);
    // "xyz" then a 2-byte-offset copy of 3 at offset 3
    expect(run(block(6, 0x08, 120, 121, 122, 0x02 | ((3 - 1) << 2), 3, 0))).toEqual([
      120, 121, 122, 120, 121, 122,
    ]);
    // "q" then a 4-byte-offset copy of 2 at offset 1
    expect(run(block(3, 0x00, 113, 0x03 | ((2 - 1) << 2), 1, 0, 0, 0))).toEqual([113, 113, 113]);
    // a literal of 100 bytes with a 1-byte length after the tag (60 = one extra byte)
    const lit = Array.from({ length: 100 }, (_, i) => i);
    expect(run(block(100, 60 << 2, 99, ...lit))).toEqual(lit);
  });

  it("refuses corrupt blocks instead of reading or writing past an end", () => {
    const bad = [
      block(4, 0x0c, 1, 2), // literal of 4 with 2 bytes present
      block(4, 0x00, 7, 0x01, 5), // copy from before the start
      block(4, 0x00, 7, 0x01, 0), // offset 0
      block(2, 0x04, 1, 2, 0x00, 3), // more output than declared
      block(5, 0x04, 1, 2), // less output than declared
    ];
    for (const b of bad) {
      expect(() => run(b)).toThrow(/snappy/);
      const read = (into: Uint8Array, offset: number, n: number, pos: number) =>
        into.set(b.subarray(pos, pos + n), offset);
      expect(() =>
        snappyUncompressAt(read, 0, b.length, new Uint8Array(snappyLength(b)), new Uint8Array(8)),
      ).toThrow(/snappy/);
    }
  });
});
