/**
 * The OIP v2 binary tensor data extension (Triton's `binary_data_size`): raw little-endian elements,
 * BOOL as one byte each, BYTES as a 4-byte little-endian length before each element.
 */
import { badRequest } from "./errors.js";
import { datatypeInfo, type OipDatatype, type Tensor, type TensorValues } from "./datatypes.js";

const utf8 = new TextDecoder("utf-8", { fatal: false });
const utf8Enc = new TextEncoder();

export function decodeBinaryValues(
  datatype: OipDatatype,
  bytes: Uint8Array,
  count: number,
  name: string,
): TensorValues {
  const info = datatypeInfo(datatype);
  if (info.kind === "string") return decodeBytesElements(bytes, count, name);
  const want = count * info.bytes;
  if (bytes.length !== want)
    throw badRequest(
      `input "${name}": binary_data_size is ${bytes.length} bytes but ${count} ${datatype} values take ${want}`,
    );
  // Copy into a fresh, aligned buffer: the body's bytes may sit at any offset of a shared slab.
  const out = info.create(count);
  new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(bytes);
  if (info.kind === "bool") for (let i = 0; i < count; i++) if (out[i]) (out as Uint8Array)[i] = 1;
  return out;
}

function decodeBytesElements(bytes: Uint8Array, count: number, name: string): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: string[] = [];
  let off = 0;
  while (off < bytes.length) {
    if (off + 4 > bytes.length) throw badRequest(`input "${name}": BYTES element ${out.length} is truncated`);
    const len = view.getUint32(off, true);
    off += 4;
    if (off + len > bytes.length)
      throw badRequest(`input "${name}": BYTES element ${out.length} is truncated`);
    out.push(utf8.decode(bytes.subarray(off, off + len)));
    off += len;
  }
  if (out.length !== count)
    throw badRequest(
      `input "${name}": the shape needs ${count} BYTES elements, the binary data holds ${out.length}`,
    );
  return out;
}

export function encodeBinaryValues(t: Tensor): Uint8Array {
  const d = t.data;
  if (Array.isArray(d)) {
    const parts = d.map((s) => utf8Enc.encode(s));
    const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.length, 0));
    const view = new DataView(out.buffer);
    let off = 0;
    for (const p of parts) {
      view.setUint32(off, p.length, true);
      out.set(p, off + 4);
      off += 4 + p.length;
    }
    return out;
  }
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}
