/**
 * The fast path for numeric cells: a column's numbers as one flat typed array (row r's values at
 * [start(r), start(r) + length(r))), read straight from DuckDB's vector memory or a .npy array. Going
 * through DuckDB's per-cell values (a list object per row, then an array of numbers) cost a few
 * microseconds and several allocations per row; this path copies a row with one TypedArray.set.
 *
 * DuckDB's vector classes keep their typed arrays in fields that its typings mark private; they are
 * read by feature detection, so a release that renames them falls back to the per-cell path (slower,
 * same results) instead of breaking. test/predict-flat.test.ts checks the fast path is taken.
 */
import type { NumericArray } from "../onnx/tensor.js";

export interface FlatColumn {
  data: NumericArray;
  /** Whether the source values are integers (no fraction check needed for integer inputs). */
  integer: boolean;
  start(row: number): number;
  length(row: number): number;
  /** The row's cell is NULL. */
  isNull(row: number): boolean;
  /** Some element inside a list is NULL (checked only when any element can be). */
  hasNullItem?(row: number): boolean;
  /**
   * Where rows [row, row + n) start in `data` when they lie back to back, `width` values each, with no
   * NULL anywhere: the rows are then copied with one TypedArray.set. -1 when they do not.
   */
  run?(row: number, n: number, width: number): number;
}

interface Validity {
  data: unknown;
  itemValid(i: number): boolean;
}

interface PrimitiveLike {
  items?: unknown;
  validity?: Validity;
}

interface ListLike extends PrimitiveLike {
  childVector?: PrimitiveLike;
  /** (offset, length) pairs, one per row. */
  entryData?: unknown;
  getEntryOffset?(row: number): number;
  getEntryLength?(row: number): number;
}

interface ArrayLikeVector extends PrimitiveLike {
  childData?: PrimitiveLike;
  arrayType?: { length: number };
}

/** Typed arrays DuckDB uses for numeric vectors (BOOLEAN and DECIMAL go the per-cell way). */
function numericItems(v: PrimitiveLike | undefined): { data: NumericArray; integer: boolean } | undefined {
  const items = v?.items;
  if (
    items instanceof Float32Array ||
    items instanceof Float64Array ||
    items instanceof Int8Array ||
    items instanceof Uint8Array ||
    items instanceof Int16Array ||
    items instanceof Uint16Array ||
    items instanceof Int32Array ||
    items instanceof Uint32Array ||
    items instanceof BigInt64Array ||
    items instanceof BigUint64Array
  )
    return { data: items, integer: !(items instanceof Float32Array || items instanceof Float64Array) };
  return undefined;
}

/** The vector has no validity mask: no NULLs at all. */
const noNulls = (v: PrimitiveLike | undefined) => (v?.validity?.data ?? null) === null;

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function validity(v: PrimitiveLike): ((row: number) => boolean) | undefined {
  const val = v.validity;
  if (!val || typeof val.itemValid !== "function") return undefined;
  // No validity mask: no NULLs at all (the common case, and the cheap one).
  if (val.data === null) return () => false;
  return (row) => !val.itemValid(row);
}

/** A DuckDB vector's numbers as a flat column, or undefined when it is not a plain numeric one. */
export function flatFromVector(vector: unknown): FlatColumn | undefined {
  const v = vector as ListLike & ArrayLikeVector;
  const name = (vector as { constructor?: { name?: string } })?.constructor?.name ?? "";
  if (name === "DuckDBBooleanVector" || /Decimal|HugeInt|Enum/.test(name)) return undefined;
  const isNull = validity(v);
  if (!isNull) return undefined;
  const scalar = numericItems(v);
  if (scalar)
    return {
      ...scalar,
      start: (r) => r,
      length: () => 1,
      isNull,
      ...(noNulls(v) ? { run: (r: number, _n: number, w: number) => (w === 1 ? r : -1) } : {}),
    };
  // Lists (rows of any length) and arrays (a fixed length); a nested child has no typed items.
  if (typeof v.getEntryOffset === "function" && typeof v.getEntryLength === "function" && v.childVector) {
    const child = numericItems(v.childVector);
    const childNull = validity(v.childVector);
    if (!child || !childNull || /Boolean|Decimal/.test(v.childVector.constructor.name)) return undefined;
    const list = v as Required<Pick<ListLike, "getEntryOffset" | "getEntryLength">>;
    const hasNulls = !noNulls(v.childVector);
    const entries = v.entryData;
    return {
      ...child,
      start: (r) => list.getEntryOffset(r),
      length: (r) => list.getEntryLength(r),
      isNull,
      ...(hasNulls ? { hasNullItem: nullInRange(childNull, list) } : {}),
      ...(!hasNulls && noNulls(v) && entries instanceof BigUint64Array && littleEndian
        ? { run: listRun(new Uint32Array(entries.buffer, entries.byteOffset, entries.length * 2)) }
        : {}),
    };
  }
  if (v.childData && v.arrayType && typeof v.arrayType.length === "number") {
    const child = numericItems(v.childData);
    const childNull = validity(v.childData);
    if (!child || !childNull || /Boolean|Decimal/.test(v.childData.constructor.name)) return undefined;
    const w = v.arrayType.length;
    const hasNulls = !noNulls(v.childData);
    return {
      ...child,
      start: (r) => r * w,
      length: () => w,
      isNull,
      ...(!hasNulls && noNulls(v)
        ? { run: (r: number, _n: number, width: number) => (width === w ? r * w : -1) }
        : {}),
      ...(hasNulls
        ? { hasNullItem: nullInRange(childNull, { getEntryOffset: (r) => r * w, getEntryLength: () => w }) }
        : {}),
    };
  }
  return undefined;
}

/**
 * A list's rows lie back to back when each one starts where the one before ends, `width` long. The
 * (offset, length) pairs are 64-bit; they are read as 32-bit halves (little-endian: low word first)
 * so that no BigInt is made per row.
 */
function listRun(e: Uint32Array): (row: number, n: number, width: number) => number {
  return (row, n, width) => {
    const first = row * 4;
    if (e[first + 1] !== 0) return -1;
    const start = e[first];
    let at = start;
    for (let i = first, end = (row + n) * 4; i < end; i += 4) {
      if (e[i] !== at || e[i + 1] !== 0 || e[i + 2] !== width || e[i + 3] !== 0) return -1;
      at += width;
    }
    return start;
  };
}

function nullInRange(
  childNull: (i: number) => boolean,
  list: { getEntryOffset(r: number): number; getEntryLength(r: number): number },
): (row: number) => boolean {
  return (row) => {
    const s = list.getEntryOffset(row);
    const e = s + list.getEntryLength(row);
    for (let i = s; i < e; i++) if (childNull(i)) return true;
    return false;
  };
}

/** A .npy array (rows along the first dimension) as a flat column. */
export function flatFromArray(data: NumericArray, width: number, floating: boolean): FlatColumn {
  return {
    data,
    integer: !floating,
    start: (r) => r * width,
    length: () => width,
    isNull: () => false,
    run: (r, _n, w) => (w === width ? r * width : -1),
  };
}
