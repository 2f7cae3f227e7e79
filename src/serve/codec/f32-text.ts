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

/** Set by shortestDigits: the value is BM · 10^-BK. */
let BM = 0;
let BK = 0;

/**
 * The fewest significant digits of `a` (positive, finite, within [1e-13, 1e13)) that read back as the
 * same float32, in BM and BK; false when the integer arithmetic cannot tell (then use `slow`).
 */
function shortestDigits(a: number): boolean {
  // Scales 10^k with |k| <= 22 are exact doubles, so m / 10^k is the correctly rounded double of the
  // decimal m·10^-k, and fround of it is what a parser yields.
  const e = Math.floor(Math.log10(a));
  // Binary search on the digit count: if p digits round-trip, so do p + 1; 9 always do.
  let lo = 1;
  let hi = 9;
  BM = 0;
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
      BM = m;
      BK = k;
      hi = p - 1;
    } else lo = p + 1;
  }
  return BM !== 0;
}

/** The shortest round-tripping text of a float32 value `v` (a double that is exactly a float32). */
export function float32Text(v: number): string {
  if (v !== v || v === Infinity || v === -Infinity) return "null";
  if (v === 0) return 1 / v < 0 ? "-0" : "0";
  const a = v < 0 ? -v : v;
  if (a >= 1e13 || a < 1e-13 || !shortestDigits(a)) return slow(v);
  let s = "" + BM;
  const len = s.length;
  if (BK <= 0) s += ZEROS[-BK];
  else if (BK >= len) s = "0." + ZEROS[BK - len] + s;
  else s = s.slice(0, len - BK) + "." + s.slice(len - BK);
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

const DIGITS = new Uint8Array(16);
const NULL = [110, 117, 108, 108];

/**
 * float32ArrayJson's text as UTF-8 bytes, written straight into one buffer: no string per value, so
 * no garbage per value (on a 1024-wide output the strings cost more in GC than in formatting).
 */
export function float32ArrayJsonBytes(d: Float32Array): Buffer {
  // 26 bytes a value are enough: a comma, a sign, "0.", up to 13 zeros and 9 digits (|v| >= 1e-13).
  const out = Buffer.allocUnsafe(d.length * 26 + 2);
  let pos = 0;
  out[pos++] = 0x5b;
  for (let i = 0; i < d.length; i++) {
    if (i > 0) out[pos++] = 0x2c;
    const v = d[i];
    if (v !== v || v === Infinity || v === -Infinity) {
      for (const c of NULL) out[pos++] = c;
      continue;
    }
    if (v === 0) {
      if (1 / v < 0) out[pos++] = 0x2d;
      out[pos++] = 0x30;
      continue;
    }
    const a = v < 0 ? -v : v;
    if (a >= 1e13 || a < 1e-13 || !shortestDigits(a)) {
      pos += out.write(slow(v), pos, "latin1");
      continue;
    }
    if (v < 0) out[pos++] = 0x2d;
    let m = BM;
    let n = 0;
    while (m > 0) {
      const q = Math.floor(m / 10);
      DIGITS[n++] = 0x30 + (m - q * 10);
      m = q;
    }
    const k = BK;
    if (k <= 0) {
      for (let j = n - 1; j >= 0; j--) out[pos++] = DIGITS[j];
      for (let j = 0; j < -k; j++) out[pos++] = 0x30;
    } else if (k >= n) {
      out[pos++] = 0x30;
      out[pos++] = 0x2e;
      for (let j = 0; j < k - n; j++) out[pos++] = 0x30;
      for (let j = n - 1; j >= 0; j--) out[pos++] = DIGITS[j];
    } else {
      for (let j = n - 1; j >= k; j--) out[pos++] = DIGITS[j];
      out[pos++] = 0x2e;
      for (let j = k - 1; j >= 0; j--) out[pos++] = DIGITS[j];
    }
  }
  out[pos++] = 0x5d;
  return out.subarray(0, pos);
}
