/**
 * A JSON parser over the request's bytes for OIP infer bodies, where nearly all the bytes are numbers
 * in `data` arrays. JSON.parse turns each into a boxed JS number inside a JS array that is then copied
 * into a typed array (and collected); here an array of numbers under a `"data"` key is scanned
 * straight from the bytes into a Float64Array (a Float32Array under an FP32 tensor's "data": no double
 * copy to allocate and convert again), with no per-element string or object. Everything else (the
 * small object around the data) is parsed into plain values, exactly as JSON.parse would.
 *
 * Numbers: a literal of at most 15 significant digits and a decimal exponent within ±22 is m·10^e
 * with m and 10^|e| exact doubles, so one multiplication or division gives the correctly rounded
 * value (Clinger's fast path); any other literal goes through Number(), which rounds correctly too.
 * Either way the double is the one JSON.parse gives, bit for bit.
 *
 * Strict RFC 8259 syntax; errors name the byte offset. Nesting deeper than `maxDepth` is refused while
 * parsing (never by recursion past it).
 */

export class JsonSyntaxError extends Error {}
export class JsonDepthError extends Error {}
/** The body holds more arrays and objects than MAX_CONTAINERS. */
export class JsonSizeError extends Error {}

/**
 * Arrays and objects a body may hold outside the number arrays read flat (below): each is a JS object
 * of 30-100 bytes, so 16 MB of "[],[],..." built ~5.6M of them (hundreds of MB, and a stall of
 * seconds) before any check could look at them.
 */
export const MAX_CONTAINERS = 1_000_000;

/**
 * A nested array of numbers under "data", read flat: its numbers in row-major order, whatever the
 * nesting, with no JS array or typed array per row (16 MB of "[[0.5],[0.25],...]" would otherwise be
 * two million typed arrays).
 */
export class NestedNumbers {
  constructor(
    readonly values: Float64Array | Float32Array,
    /** Each level's length, as read from the first array closed at that level. */
    readonly shape: number[],
    /** Every array of a level has that level's length, and all the numbers sit at the deepest level. */
    readonly rectangular: boolean,
    /** Levels of nesting (the outermost array counts 1). */
    readonly levels: number,
  ) {}
}

const P10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
/**
 * Where numbers() reads an array before copying out exactly its length: a fresh array sized from the
 * body's bytes (up to 1,024 values), then a view of it, cost an allocation of that size per `data`
 * array, zeroed; a 64-value request parsed in 5.7 µs instead of 7.1. Grown for longer arrays (and kept
 * up to 64k values).
 */
let scratch = new Float64Array(1024);
const fround = Math.fround;

/**
 * How a value is read: not data; data (numbers exact); data of an FP32 tensor; an object whose every
 * value is data (/predict's "inputs").
 */
const enum Data {
  No,
  Exact,
  Fp32,
  Fields,
}
/**
 * Parses `bytes` as one JSON value. Arrays of numbers under a `"data"` key come back as Float64Array
 * when flat and as NestedNumbers when nested; under the "data" of an object whose "datatype" "FP32"
 * comes first, with a Float32Array (each value the double JSON.parse gives, rounded to float32 as a
 * Float32Array stores it); FP32 data that is not all numbers and arrays is read as if exact. With `fieldsOf`, every value of the top-level object's `fieldsOf` object
 * is read the same way (exact). Every other value as JSON.parse gives it. Throws JsonSyntaxError,
 * JsonDepthError (nesting past `maxDepth`) or JsonSizeError (more than MAX_CONTAINERS).
 */
export function parseJsonBytes(bytes: Uint8Array, maxDepth: number, fieldsOf?: string): unknown {
  const p = new Scanner(bytes, maxDepth, fieldsOf);
  p.ws();
  const v = p.value(0, Data.No);
  p.ws();
  if (p.pos < bytes.length) p.fail("unexpected data after the JSON value");
  return v;
}

/** Whether the scanner read a "data" value to float32 precision. */
const readAsFloat32 = (v: unknown): boolean =>
  v instanceof Float32Array || (v instanceof NestedNumbers && v.values instanceof Float32Array);

class Scanner {
  pos = 0;
  /** The same bytes as a Buffer, for its latin1/utf8 slicing. */
  private readonly buf: Buffer;
  /** Arrays and objects built so far (MAX_CONTAINERS). */
  private containers = 0;
  /** Where numbers are read to: the scratch, or a larger array for a long `data`. */
  private nums = scratch;
  constructor(
    private readonly b: Uint8Array,
    private readonly maxDepth: number,
    private readonly fieldsOf?: string,
  ) {
    this.buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  }

  fail(what: string): never {
    const c = this.b[this.pos];
    const at =
      this.pos >= this.b.length
        ? "at the end of the input"
        : `at byte ${this.pos} (${c >= 0x20 && c < 0x7f ? `"${String.fromCharCode(c)}"` : `0x${c.toString(16)}`})`;
    throw new JsonSyntaxError(`${what} ${at}`);
  }

  ws(): void {
    const b = this.b;
    let c = b[this.pos];
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = b[++this.pos];
  }

  value(depth: number, data: Data): unknown {
    const c = this.b[this.pos];
    if (c === 0x7b) return this.object(depth + 1, data === Data.Fields);
    if (c === 0x5b) return this.array(depth + 1, data === Data.Fields ? Data.No : data);
    if (c === 0x22) return this.string();
    // Exact: float32 precision is for typed arrays only (a number alone, or among strings, is JSON.parse's).
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number(false);
    if (c === 0x74) return this.literal("true", true);
    if (c === 0x66) return this.literal("false", false);
    if (c === 0x6e) return this.literal("null", null);
    return this.fail("expected a JSON value");
  }

  private enter(depth: number): void {
    if (depth > this.maxDepth) throw new JsonDepthError(`nested deeper than ${this.maxDepth} levels`);
  }

  /** An array or object is about to be built. */
  private built(): void {
    if (++this.containers > MAX_CONTAINERS)
      throw new JsonSizeError(
        `more than ${MAX_CONTAINERS} arrays and objects (numbers under "data", nested or flat, do not count)`,
      );
  }

  private literal(word: string, v: unknown): unknown {
    for (let i = 0; i < word.length; i++)
      if (this.b[this.pos + i] !== word.charCodeAt(i)) this.fail(`expected ${word}`);
    this.pos += word.length;
    return v;
  }

  /** `fields`: every value is data (read exact). */
  private object(depth: number, fields = false): Record<string, unknown> {
    this.enter(depth);
    this.built();
    const b = this.b;
    const out: Record<string, unknown> = {};
    // Where the last "data" value starts, if it was read into a Float32Array (see array()).
    let fp32DataAt = -1;
    this.pos++;
    this.ws();
    if (b[this.pos] === 0x7d) {
      this.pos++;
      return out;
    }
    for (;;) {
      if (b[this.pos] !== 0x22) this.fail("expected a string key");
      const key = this.string();
      this.ws();
      if (b[this.pos] !== 0x3a) this.fail('expected ":"');
      this.pos++;
      this.ws();
      let mode = fields ? Data.Exact : depth === 1 && key === this.fieldsOf ? Data.Fields : Data.No;
      if (key === "data" && !fields) {
        // A "datatype" read before it decides the precision its numbers need.
        mode = out.datatype === "FP32" ? Data.Fp32 : Data.Exact;
      }
      const at = this.pos;
      const v = this.value(depth, mode);
      if (key === "data" && !fields) fp32DataAt = mode === Data.Fp32 && readAsFloat32(v) ? at : -1;
      // JSON.parse semantics: the last duplicate wins; "__proto__" is an own property, not the prototype.
      if (key === "__proto__")
        Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      else out[key] = v;
      this.ws();
      const c = b[this.pos];
      if (c === 0x2c) {
        this.pos++;
        this.ws();
      } else if (c === 0x7d) {
        this.pos++;
        // A later "datatype" key changed it: read the data again with every number exact. Only a
        // typed array of numbers is read again (no object inside: linear, never compounding).
        if (fp32DataAt >= 0 && out.datatype !== "FP32") {
          const end = this.pos;
          this.pos = fp32DataAt;
          out.data = this.value(depth, Data.Exact);
          this.pos = end;
        }
        return out;
      } else this.fail('expected "," or "}"');
    }
  }

  private array(depth: number, data: Data): unknown[] | Float64Array | Float32Array | NestedNumbers {
    this.enter(depth);
    const b = this.b;
    this.pos++;
    this.ws();
    const first = b[this.pos];
    if (data !== Data.No) {
      const fp32 = data === Data.Fp32;
      if (first === 0x2d || (first >= 0x30 && first <= 0x39)) {
        const n = this.numbersInto(fp32, 0);
        if (n >= 0) return this.copyOut(n, fp32);
      } else if (first === 0x5b) {
        const nested = this.nested(depth, fp32);
        if (nested) return nested;
      }
    }
    // Not all numbers: the generic path, its numbers exact (typed arrays inside it too), so a later
    // "datatype" never needs it read again.
    if (data === Data.Fp32) data = Data.Exact;
    this.built();
    const out: unknown[] = [];
    if (b[this.pos] === 0x5d) {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth, data));
      this.ws();
      const c = b[this.pos];
      if (c === 0x2c) {
        this.pos++;
        this.ws();
      } else if (c === 0x5d) {
        this.pos++;
        return out;
      } else this.fail('expected "," or "]"');
    }
  }

  /** The first n numbers read, as their own array (FP32: converted once, here). */
  private copyOut(n: number, fp32: boolean): Float64Array | Float32Array {
    return fp32 ? new Float32Array(this.nums.subarray(0, n)) : this.nums.slice(0, n);
  }

  /**
   * An array of nested arrays of numbers (the position at the first inner "["), read flat into the
   * scratch; undefined (the position back where it was) when anything but numbers and arrays turns
   * up, or a number beside an array, for the generic path to take it.
   */
  private nested(depth: number, fp32: boolean): NestedNumbers | undefined {
    const b = this.b;
    const inner = this.pos;
    const counts = [0]; // elements so far in each open array, outermost first
    const shape: number[] = []; // each level's length: the first array closed there; -1 none yet
    let rectangular = true;
    let leaf = -1; // the level of the arrays that held numbers (or nothing)
    let levels = 1;
    let n = 0;
    let level = 0;
    let pos = inner;
    for (;;) {
      // At the start of an element of the array at `level`: only another array can come here.
      if (b[pos] !== 0x5b) {
        this.pos = inner;
        return undefined;
      }
      counts[level]++;
      level++;
      this.enter(depth + level);
      if (level + 1 > levels) levels = level + 1;
      counts[level] = 0;
      let c = b[++pos];
      while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = b[++pos];
      if (c === 0x5b) continue;
      if (c === 0x5d) pos++;
      else {
        this.pos = pos;
        const m = c === 0x2d || (c >= 0x30 && c <= 0x39) ? this.numbersInto(fp32, n) : -1;
        if (m < 0) {
          this.pos = inner;
          return undefined;
        }
        counts[level] = m - n;
        n = m;
        pos = this.pos;
      }
      // A leaf array closed (numbers or nothing), then as many enclosing ones as end here.
      if (leaf < 0) leaf = level;
      else if (leaf !== level) rectangular = false;
      for (;;) {
        while (shape.length <= level) shape.push(-1);
        if (shape[level] < 0) shape[level] = counts[level];
        else if (shape[level] !== counts[level]) rectangular = false;
        level--;
        if (level < 0) {
          this.pos = pos;
          return new NestedNumbers(this.copyOut(n, fp32), shape, rectangular, levels);
        }
        c = b[pos];
        while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = b[++pos];
        if (c === 0x2c) {
          c = b[++pos];
          while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = b[++pos];
          break;
        }
        if (c !== 0x5d) {
          this.pos = pos;
          this.fail('expected "," or "]"');
        }
        pos++;
      }
    }
  }

  /**
   * The rest of an array of numbers (the position at its first element), stored into the scratch
   * from index n0, through its "]"; returns the new count, or -1 (the position back at the first
   * element) when some element is not a number, for the generic path to take it.
   */
  private numbersInto(fp32: boolean, n0: number): number {
    const b = this.b;
    const start = this.pos;
    let out = this.nums;
    let n = n0;
    let pos = start;
    for (;;) {
      let c = b[pos];
      if (!(c === 0x2d || (c >= 0x30 && c <= 0x39))) {
        this.pos = start;
        return -1;
      }
      if (n === out.length) {
        // Every number takes at least 2 bytes with its separator: an upper bound without a first pass.
        const grown = new Float64Array(Math.max(n + 1, Math.min(n * 2, n + ((b.length - pos) >> 1) + 1)));
        grown.set(out);
        out = grown;
        this.nums = grown;
        if (grown.length <= 1 << 16) scratch = grown; // kept up to 512 KB, not a huge request's size
      }
      // The common literal inline: -?[1-9]?[0-9]*(.[0-9]+)? of at most 15 digits, then "," or "]".
      // Anything else (an exponent, a leading zero's edge cases, more digits, whitespace) is read
      // again from its first byte by number().
      const at = pos;
      const neg = c === 0x2d;
      if (neg) c = b[++pos];
      let m = 0;
      let digits = 0;
      while (c >= 0x30 && c <= 0x39) {
        m = m * 10 + (c - 0x30);
        digits++;
        c = b[++pos];
      }
      let frac = 0;
      if (c === 0x2e) {
        c = b[++pos];
        while (c >= 0x30 && c <= 0x39) {
          m = m * 10 + (c - 0x30);
          digits++;
          frac++;
          c = b[++pos];
        }
      }
      const plain =
        (c === 0x2c || c === 0x5d) &&
        digits > frac &&
        (digits - frac === 1 || b[neg ? at + 1 : at] !== 0x30) && // no leading zero
        (frac > 0 || b[pos - 1] !== 0x2e); // no "1."
      // Each branch stores its own double: one value merged from the three ways of reading a number
      // (and NaN) was boxed, a heap number per element (25 KB of garbage a 1,024-value request,
      // half the main thread's allocation under load, and 20-40% slower).
      if (plain && digits <= 15) {
        const d = m / P10[frac];
        out[n++] = neg ? -d : d;
      } else {
        const f = plain && fp32 && digits <= 20 ? nearFloat32(m, -frac) : NaN;
        if (f === f) out[n++] = neg ? -f : f;
        else {
          this.pos = at;
          out[n++] = this.number(fp32);
          this.ws();
          pos = this.pos;
          c = b[pos];
        }
      }
      if (c === 0x2c) {
        c = b[++pos];
        if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
          this.pos = pos;
          this.ws();
          pos = this.pos;
        }
      } else if (c === 0x5d) {
        this.pos = pos + 1;
        return n;
      } else {
        this.pos = pos;
        this.fail('expected "," or "]"');
      }
    }
  }

  /** One number at `pos` (the position is kept in a local: this loop is most of a request's decoding). */
  private number(fp32: boolean): number {
    const b = this.b;
    const start = this.pos;
    let pos = start;
    let c = b[pos];
    const neg = c === 0x2d;
    if (neg) c = b[++pos];
    let m = 0;
    let digits = 0;
    let exp = 0;
    if (c === 0x30) c = b[++pos];
    else if (c >= 0x31 && c <= 0x39)
      do {
        m = m * 10 + (c - 0x30);
        digits++;
        c = b[++pos];
      } while (c >= 0x30 && c <= 0x39);
    else this.failAt(pos, "expected a digit");
    if (c === 0x2e) {
      c = b[++pos];
      if (!(c >= 0x30 && c <= 0x39)) this.failAt(pos, "expected a digit after the decimal point");
      do {
        m = m * 10 + (c - 0x30);
        if (m !== 0) digits++;
        exp--;
        c = b[++pos];
      } while (c >= 0x30 && c <= 0x39);
    }
    if (c === 0x65 || c === 0x45) {
      c = b[++pos];
      let eneg = false;
      if (c === 0x2b || c === 0x2d) {
        eneg = c === 0x2d;
        c = b[++pos];
      }
      if (!(c >= 0x30 && c <= 0x39)) this.failAt(pos, "expected a digit in the exponent");
      let e = 0;
      do {
        if (e < 1e6) e = e * 10 + (c - 0x30);
        c = b[++pos];
      } while (c >= 0x30 && c <= 0x39);
      exp += eneg ? -e : e;
    }
    this.pos = pos;
    if (digits <= 15 && exp >= -22 && exp <= 22) {
      const v = exp < 0 ? m / P10[-exp] : m * P10[exp];
      return neg ? -v : v;
    }
    if (fp32 && digits <= 20 && exp >= -44 && exp <= 22) {
      const v = nearFloat32(m, exp);
      if (v === v) return neg ? -v : v;
    }
    return Number(this.buf.toString("latin1", start, pos));
  }

  private failAt(pos: number, what: string): never {
    this.pos = pos;
    return this.fail(what);
  }

  string(): string {
    const b = this.b;
    const start = ++this.pos;
    let plain = true;
    for (;;) {
      const c = b[this.pos];
      if (c === 0x22) break;
      if (c === 0x5c) {
        plain = false;
        this.pos += 2;
        continue;
      }
      if (c === undefined) this.fail("unterminated string");
      if (c < 0x20) this.fail("control character in a string");
      this.pos++;
    }
    const end = this.pos++;
    if (plain) return this.buf.toString("utf8", start, end);
    try {
      return JSON.parse(this.buf.toString("utf8", start - 1, end + 1)) as string;
    } catch (e) {
      this.pos = start;
      return this.fail(`bad escape in a string (${(e as Error).message})`);
    }
  }
}

/**
 * For a number that only needs float32 precision (the data of an FP32 tensor): m·10^exp (m of up to
 * 20 digits, accumulated in doubles) as the float32 it rounds to, when that is certain; NaN when it is
 * not (then Number() reads the literal exactly). Rounding the literal to the nearest double and that
 * to float32 (what JSON.parse and a Float32Array do) gives the float32 nearest the literal unless the
 * literal lies next to a midpoint between two float32s. The estimate is within 2^-49 of the literal
 * (at most 5 inexact steps accumulating m, two divisions, each off by at most 2^-53 relative); if it
 * lies further than that from the midpoints around its nearest float32, so does the literal, and both
 * round to the same float32. |f|·2^-25 is at most half the gap to either neighbour of f.
 * numpy's tolist() writes float32 values as 17-digit doubles: this reads them 4x faster than Number().
 */
function nearFloat32(m: number, exp: number): number {
  const v = exp >= 0 ? m * P10[exp] : exp >= -22 ? m / P10[-exp] : m / P10[22] / P10[-exp - 22];
  const f = fround(v);
  if (!(f >= 1.1754943508222875e-38 && f < 2 ** 127)) return NaN;
  return Math.abs(v - f) < f * 2 ** -25 - v * 2 ** -46 ? f : NaN;
}
