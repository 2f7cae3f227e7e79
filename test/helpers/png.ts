/** A minimal PNG encoder (8-bit RGB, no filtering) for the browser tests' pictures: node:zlib only. */
import zlib from "node:zlib";

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** `rgb`: width × height × 3 bytes, row-major. */
export function encodePng(width: number, height: number, rgb: Uint8Array): Buffer {
  if (rgb.length !== width * height * 3)
    throw new Error(`encodePng: ${rgb.length} bytes for ${width}x${height}`);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8 bits, truecolour, deflate, no filter method, no interlace
  const rows = Buffer.alloc(height * (width * 3 + 1));
  for (let y = 0; y < height; y++)
    rows.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), y * (width * 3 + 1) + 1);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", zlib.deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** Dark "text lines" on a light, slightly graded background: something the OCR models react to. */
export function textLikePicture(width: number, height: number): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const line = Math.floor(y / (height / 3));
      const inLine = y % Math.floor(height / 3) > height / 12 && y % Math.floor(height / 3) < height / 4;
      const glyph = inLine && x > width / 10 && x < width * (0.9 - line * 0.2) && x % 9 < 5;
      const i = (y * width + x) * 3;
      const base = 230 - Math.floor((x / width) * 30);
      rgb[i] = glyph ? 20 : base;
      rgb[i + 1] = glyph ? 25 : base - 5;
      rgb[i + 2] = glyph ? 40 : base - 10;
    }
  return rgb;
}
