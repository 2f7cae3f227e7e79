/**
 * Float32 values as JSON text: for each value the shortest decimal that reads back (through a double,
 * as every JSON parser does, then rounded to float32) as exactly that float32. Array#join prints the
 * double a float32 widens to (0.1f → "0.10000000149011612"), 17 digits for nearly every value; these
 * have at most 9, so responses are about half the bytes, and the digits come from integer arithmetic
 * rather than a general double-to-shortest conversion. Non-finite values are null (JSON has no NaN),
 * as before; -0 is "-0" (JSON allows it and it reads back as -0).
 */

const P10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
const ZEROS = Array.from({ length: 23 }, (_, i) => "0".repeat(i));
const fround = Math.fround;

/** The shortest round-tripping text of a float32 value `v` (a double that is exactly a float32). */
export function float32Text(v: number): string {
  if (v !== v || v === Infinity || v === -Infinity) return "null";
  if (v === 0) return 1 / v < 0 ? "-0" : "0";
  const a = v < 0 ? -v : v;
  // Scales 10^k with |k| <= 22 are exact doubles, so m / 10^k is the correctly rounded double of the
  // decimal m·10^-k, and fround of it is what a parser yields. Outside this range: the slow path.
  if (a >= 1e13 || a < 1e-13) return slow(v);
  const e = Math.floor(Math.log10(a));
  // Binary search on the digit count: if p digits round-trip, so do p + 1; 9 always do.
  let lo = 1;
  let hi = 9;
  let bm = 0;
  let bk = 0;
  while (lo <= hi) {
    const p = (lo + hi) >> 1;
    const k = p - 1 - e;
    let m: number;
    let d: number;
    if (k >= 0) {
      m = Math.round(a * P10[k]);
      d = m / P10[k];
    } else {
      m = Math.round(a / P10[-k]);
      d = m * P10[-k];
    }
    if (fround(d) === a) {
      bm = m;
      bk = k;
      hi = p - 1;
    } else lo = p + 1;
  }
  if (bm === 0) return slow(v);
  let s = "" + bm;
  const len = s.length;
  if (bk <= 0) s += ZEROS[-bk];
  else if (bk >= len) s = "0." + ZEROS[bk - len] + s;
  else s = s.slice(0, len - bk) + "." + s.slice(len - bk);
  return v < 0 ? "-" + s : s;
}

/** Tiny, huge and subnormal values: the fewest toPrecision digits that round-trip. */
function slow(v: number): string {
  for (let p = 1; p < 9; p++) {
    const d = +v.toPrecision(p);
    if (fround(d) === v) return String(d);
  }
  return String(+v.toPrecision(9));
}

/** A Float32Array as a JSON array text. */
export function float32ArrayJson(d: Float32Array): string {
  const n = d.length;
  if (n === 0) return "[]";
  let s = "[" + float32Text(d[0]);
  for (let i = 1; i < n; i++) s += "," + float32Text(d[i]);
  return s + "]";
}
