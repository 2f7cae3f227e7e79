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
const F32 = new Float32Array(1);
const BITS = new Uint32Array(F32.buffer);
/**
 * KG[e]: for a float32 with biased exponent e, the smallest k with 10^-k <= its ulp (2^(e-150)): at
 * that scale some multiple of 10^-k lies in the value's rounding interval, and one scale coarser at
 * most one does (the grid is wider than the interval).
 */
const KG = Int32Array.from({ length: 256 }, (_, e) => Math.ceil((150 - e) * Math.log10(2)));

/** Set by shortestDigits: the value is BM · 10^-BK. */
let BM = 0;
let BK = 0;

/** m·10^-k read back the way a parser does (nearest double, then float32) equals a. */
function reads(a: number, k: number): boolean {
  let m: number;
  let d: number;
  // floor(x + 0.5) is Math.round(x) for every x >= 1 below 2^52 (x + 0.5 is then exact, or rounds
  // only across a power of two where the floor is the same), and every scaled value here is >= 2^23 / 10
  // (see KG); Math.round measured 5-8 ns a call here against under 1 for floor, two or three calls
  // a value.
  if (k >= 0) {
    m = Math.floor(a * P10[k] + 0.5);
    d = m / P10[k];
  } else {
    m = Math.floor(a / P10[-k] + 0.5);
    d = m * P10[-k];
  }
  BM = m;
  BK = k;
  return fround(d) === a;
}

/**
 * The fewest significant digits of `a` (positive, finite, normal, within [1e-13, 1e13)) that read back
 * as the same float32, in BM and BK; false when the arithmetic cannot tell (then use `slow`).
 *
 * Scales 10^k with |k| <= 22 are exact doubles, so m / 10^k is the correctly rounded double of the
 * decimal m·10^-k, and fround of it is what a parser yields. The decimals that read back as `a` form
 * an interval about one ulp wide. One scale coarser than KG the grid is wider than that, so at most one
 * grid point (the nearest to `a`) reads back; any shorter decimal that reads back is a point of that
 * grid too, so it is the same decimal with trailing zeros dropped. If none does, the answer is at KG
 * (or, at the edges of a binade where the interval is narrower, one or two scales finer). One or two
 * probes a value instead of a search over all digit counts.
 */
function shortestDigits(a: number): boolean {
  F32[0] = a;
  const kg = KG[BITS[0] >>> 23];
  let k = kg - 1;
  if (reads(a, k)) {
    // m < 2^24 here (KG); as an int32 the remainder and quotient are integer instructions, where a
    // double's % is a call into the C library.
    let m = BM | 0;
    while (m !== 0 && m % 10 === 0) {
      m = (m / 10) | 0;
      k--;
    }
    BM = m;
    BK = k;
    return m !== 0 && m < 1e9;
  }
  for (k = kg; k <= kg + 2 && k <= 22; k++) if (reads(a, k)) return BM !== 0 && BM < 1e9;
  return false;
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

/** Decimal digits of m (0 < m < 1e9, as shortestDigits gives). */
function digitCount(m: number): number {
  return m < 1e4
    ? m < 10
      ? 1
      : m < 100
        ? 2
        : m < 1e3
          ? 3
          : 4
    : m < 1e6
      ? m < 1e5
        ? 5
        : 6
      : m < 1e7
        ? 7
        : m < 1e8
          ? 8
          : 9;
}

/**
 * The n digits of m at out[pos, pos + n), written from the last with 32-bit integer arithmetic (a
 * digit table or Math.floor per digit measured twice as slow); returns pos + n.
 */
function putDigits(out: Buffer, m: number, pos: number, n: number): number {
  const end = pos + n;
  for (let j = end - 1; j >= pos; j--) {
    const q = (m / 10) | 0;
    out[j] = 0x30 + m - q * 10;
    m = q;
  }
  return end;
}

/** A Float32Array as a JSON array text. */
export function float32ArrayJson(d: Float32Array): string {
  const n = d.length;
  if (n === 0) return "[]";
  let s = "[" + float32Text(d[0]);
  for (let i = 1; i < n; i++) s += "," + float32Text(d[i]);
  return s + "]";
}

const NULL = [110, 117, 108, 108];

/** Bytes float32ArrayJsonInto may write for `n` values: a comma, a sign, "0.", up to 13 zeros and 9
 * digits each (|v| >= 1e-13; others take the shorter exponent form), and the brackets. */
export function float32ArrayJsonMaxBytes(n: number): number {
  return n * 26 + 2;
}

/**
 * float32ArrayJson's text as UTF-8 bytes, written straight into one buffer: no string per value, so
 * no garbage per value (on a 1024-wide output the strings cost more in GC than in formatting).
 */
export function float32ArrayJsonBytes(d: Float32Array): Buffer {
  const out = Buffer.allocUnsafe(float32ArrayJsonMaxBytes(d.length));
  return out.subarray(0, float32ArrayJsonInto(out, 0, d));
}

/** Writes float32ArrayJson's text into `out` at `pos` (room for float32ArrayJsonMaxBytes); returns the end. */
export function float32ArrayJsonInto(out: Buffer, pos: number, d: Float32Array): number {
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
    // An int32 (m < 1e9), so that (r / 10) | 0 below is an integer multiply, not a double division.
    const m = BM | 0;
    const k = BK;
    const n = digitCount(m);
    if (k <= 0) {
      pos = putDigits(out, m, pos, n);
      for (let j = 0; j < -k; j++) out[pos++] = 0x30;
    } else if (k >= n) {
      out[pos++] = 0x30;
      out[pos++] = 0x2e;
      for (let j = 0; j < k - n; j++) out[pos++] = 0x30;
      pos = putDigits(out, m, pos, n);
    } else {
      // n digits with the point after the first n - k: the low k digits first, from the end. Written
      // out rather than through putDigits: a point check inside putDigits, or splitting m into two
      // putDigits calls, measured 35-50% slower per value (most values take this branch).
      const end = pos + n + 1;
      const dot = end - 1 - k;
      let r = m;
      for (let j = end - 1; j > dot; j--) {
        const q = (r / 10) | 0;
        out[j] = 0x30 + r - q * 10;
        r = q;
      }
      out[dot] = 0x2e;
      for (let j = dot - 1; j >= pos; j--) {
        const q = (r / 10) | 0;
        out[j] = 0x30 + r - q * 10;
        r = q;
      }
      pos = end;
    }
  }
  out[pos++] = 0x5d;
  return pos;
}
