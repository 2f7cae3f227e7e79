/**
 * Rows → model input tensors. Each model input is bound to columns of the file: one list column (or a
 * scalar column for one value per row), or a list of scalar feature columns (--map). Bad rows become
 * rejects with the file, row and column; the batch records how many input rows it consumed so the
 * counts of read, written and rejected rows always add up.
 */
import { UserError } from "../errors.js";
import type { NumericArray } from "../onnx/tensor.js";
import { datatypeInfo, type DatatypeInfo, type Tensor } from "../serve/datatypes.js";
import type { Dim, TensorSpec } from "../serve/model-info.js";
import { cellNumbers, jsonCell, type Chunk, type ColumnLike } from "./columns.js";
import type { FlatColumn } from "./flat.js";
import type { SpareBuffers } from "./slab-pool.js";
import type { InputFile } from "./source.js";

export interface Binding {
  input: TensorSpec;
  columns: number[];
  columnNames: string[];
  /** Values per row; undefined when the model leaves a feature dim symbolic (taken from the first row). */
  width?: number;
  rowShape?: number[];
}

export interface Reject {
  file: string;
  /** 1-based row in the file (after --where). */
  row: number;
  column: string;
  reason: string;
  keep: Record<string, unknown>;
}

/** A slab of rows for one worker message; the worker runs it through the model batch by batch. */
export interface Batch {
  seq: number;
  rows: number;
  /** Input rows consumed: rows + rejects.length. */
  read: number;
  feeds: Record<string, Tensor>;
  /** Kept column values, one array per --keep column (typed when the column is plain numbers). */
  keep: (unknown[] | NumericArray)[];
  rejects: Reject[];
}

/**
 * The column names feeding model input `input` (one of `inputCount`): --map's, else the column of its
 * name, else the file's only column for a model's only input; undefined when none is. Names are not
 * checked against the file here (bindInputs does, naming the one missing).
 */
export function columnsFor(
  input: string,
  inputCount: number,
  names: string[],
  map: Record<string, string[]>,
): string[] | undefined {
  if (Object.hasOwn(map, input)) return map[input];
  if (names.includes(input)) return [input];
  if (inputCount === 1 && names.length === 1) return [names[0]];
  return undefined;
}

export function bindInputs(
  inputs: TensorSpec[],
  file: InputFile,
  map: Record<string, string[]>,
  shapes: Record<string, number[]> = {},
): Binding[] {
  const names = file.columns.map((c) => c.name);
  const available = names.join(", ");
  for (const [flag, given] of [
    ["--map", map],
    ["--shape", shapes],
  ] as const)
    for (const key of Object.keys(given))
      if (!inputs.some((i) => i.name === key))
        throw new UserError(`${flag} ${key}=...: the model has no input "${key}"`, {
          hint: `its inputs are: ${inputs.map((i) => i.name).join(", ")}`,
        });
  return inputs.map((input) => {
    const cols = columnsFor(input.name, inputs.length, names, map);
    if (!cols)
      throw new UserError(`${file.path}: no column "${input.name}" for the model input "${input.name}"`, {
        hint: `map it to the file's columns (${available}) with --map ${input.name}=COLUMN or --map ${input.name}=COL1,COL2,...`,
      });
    const columns = cols.map((c) => {
      const i = names.indexOf(c);
      if (i < 0)
        throw new UserError(`${file.path}: no column "${c}" (mapped to the model input "${input.name}")`, {
          hint: `the file's columns are: ${available}`,
        });
      return i;
    });
    if (!input.shape || input.shape.length === 0)
      throw new UserError(`model input "${input.name}" has no batch dimension`, {
        hint: "mlpack predict feeds rows along the first dimension; export the model with a batch dim",
      });
    const rest = rowDims(input, Object.hasOwn(shapes, input.name) ? shapes[input.name] : undefined);
    const fixed = rest.every((d): d is number => typeof d === "number");
    if (!fixed && rest.length !== 1)
      throw new UserError(
        `model input "${input.name}" has symbolic dims besides the batch: [${input.shape.join(",")}]`,
        {
          hint: `give a row's shape with ${shapeFlag(input.name, rest)} (the dims after the batch), or fix them when exporting`,
        },
      );
    const width = fixed ? rest.reduce((a, b) => a * b, 1) : undefined;
    if (width !== undefined && width > MAX_ROW_VALUES)
      throw new UserError(
        `model input "${input.name}" takes ${width} values a row ([${rest.join(", ")}] after the batch), more than mlpack predict feeds (${MAX_ROW_VALUES})`,
        { hint: "check the dims (--shape), or feed the model in smaller pieces" },
      );
    if (cols.length > 1 && width !== undefined && cols.length !== width)
      throw new UserError(
        `--map ${input.name}: ${cols.length} columns, but the model input takes ${width} values per row`,
        { hint: `list exactly ${width} columns, or one list column` },
      );
    return { input, columns, columnNames: cols, width, rowShape: fixed ? rest : undefined };
  });
}

/** Values in one row of one input: a slab holds at least a batch of rows in one typed array. */
const MAX_ROW_VALUES = 2 ** 26;

/**
 * An input's dims after the batch dim: the model's, with --shape's values where it gives them. A
 * --shape must have the model's rank there and agree with its fixed dims.
 */
function rowDims(input: TensorSpec, given: number[] | undefined): Dim[] {
  const rest = input.shape!.slice(1);
  if (!given) return rest;
  const model = `[${input.shape!.map((d) => d ?? "?").join(", ")}]`;
  if (given.length !== rest.length)
    throw new UserError(
      `--shape ${input.name}=${given.join(",")}: the model input is ${model}, so a row has ${rest.length} dim(s) after the batch, not ${given.length}`,
      { hint: `e.g. ${shapeFlag(input.name, rest)}` },
    );
  const clash = rest.findIndex((d, i) => typeof d === "number" && d !== given[i]);
  if (clash >= 0)
    throw new UserError(
      `--shape ${input.name}=${given.join(",")}: dim ${clash + 1} of the model input ${model} is fixed at ${rest[clash]}`,
      { hint: `give ${rest[clash]} there, or leave the fixed dims as the model has them` },
    );
  return given;
}

/** The --shape that would fill `rest` (a symbolic dim as N): --shape x=3,N,N. */
const shapeFlag = (name: string, rest: Dim[]) =>
  `--shape ${name}=${rest.map((d) => (typeof d === "number" ? d : "N")).join(",")}`;

export function keepColumns(file: InputFile, keep: string[]): number[] {
  return keep.map((k) => {
    const i = file.columns.findIndex((c) => c.name === k);
    if (i < 0)
      throw new UserError(`${file.path}: no column "${k}" to keep`, {
        hint: `the file's columns are: ${file.columns.map((c) => c.name).join(", ")}`,
      });
    return i;
  });
}

interface Current {
  file: InputFile;
  bindings: Binding[];
  keepIdx: number[];
  infos: DatatypeInfo[];
}

interface Bad {
  column: string;
  reason: string;
}

/**
 * Fills slabs of `slabRows` accepted rows (or fewer at the end) from chunks, writing each row's numbers
 * straight into the model input's typed array: one TypedArray.set per plain numeric cell (the flat
 * path), the per-cell conversion only for strings, decimals and the like.
 */
export class BatchBuilder {
  private seq = 0;
  private cur?: Current;
  private rows = 0;
  private read = 0;
  private buffers: NumericArray[] | null = null;
  private widths: (number | undefined)[] = [];
  /** Per --keep column: a typed array while its values come from a flat numeric column, else values. */
  private keep: (unknown[] | NumericArray | undefined)[] = [];
  private readonly runStarts: number[] = [];
  private rejects: Reject[] = [];
  /** Per-cell numbers of the columns that take the slow path, reused row after row. */
  private readonly scratch: number[][] = [];

  constructor(
    private readonly keepNames: string[],
    private readonly slabRows: number,
    private readonly onError: "fail" | "skip",
    private readonly spare?: SpareBuffers,
  ) {}

  setFile(file: InputFile, bindings: Binding[], keepIdx: number[]): void {
    this.cur = { file, bindings, keepIdx, infos: bindings.map((b) => datatypeInfo(b.input.datatype)) };
  }

  /** Adds a chunk whose first row is row `firstRow` (0-based) of the current file; returns full slabs. */
  add(chunk: Chunk, firstRow: number): Batch[] {
    const cur = this.cur!;
    const done: Batch[] = [];
    const cols = cur.bindings.map((b) => b.columns.map((c) => chunk.column(c)));
    const keepCols = cur.keepIdx.map((c) => chunk.column(c));
    let r = 0;
    while (r < chunk.rowCount) {
      if (!this.buffers) this.start(cur.bindings);
      const m = Math.min(chunk.rowCount - r, this.slabRows - this.rows);
      if (this.copyRun(cols, keepCols, r, m)) {
        r += m;
        this.read += m;
        this.rows += m;
        if (this.rows === this.slabRows) done.push(this.finish());
        continue;
      }
      for (const end = r + m; r < end; r++) {
        this.read++;
        const bad = this.fillRow(cur, cols, r);
        if (bad) {
          const reject: Reject = {
            file: cur.file.path,
            row: firstRow + r + 1,
            column: bad.column,
            reason: bad.reason,
            keep: Object.fromEntries(this.keepNames.map((k, i) => [k, jsonCell(keepCols[i].value(r))])),
          };
          if (this.onError === "fail")
            throw new UserError(
              `${reject.file}: row ${reject.row}, column "${reject.column}": ${reject.reason}`,
              {
                hint: "fix the input, or pass --on-error skip to write bad rows to a rejects file and go on",
              },
            );
          this.rejects.push(reject);
          continue;
        }
        for (let k = 0; k < keepCols.length; k++) this.keepOne(k, keepCols[k], r, this.rows);
        this.rows++;
      }
      if (this.rows === this.slabRows) done.push(this.finish());
    }
    return done;
  }

  /**
   * The fast path: rows [r, r + m) of the chunk copied with one TypedArray.set per input (and per
   * numeric --keep column), when every input is one flat column whose rows lie back to back with no
   * NULLs and whose values need no conversion check. Such rows can have nothing to reject. False
   * (nothing copied) when any column does not qualify; the rows then go one at a time.
   */
  private copyRun(cols: ColumnLike[][], keepCols: ColumnLike[], r: number, m: number): boolean {
    const { infos } = this.cur!;
    const starts = this.runStarts;
    for (let b = 0; b < cols.length; b++) {
      const f = cols[b].length === 1 ? cols[b][0].flat : undefined;
      const width = this.widths[b];
      if (!f?.run || width === undefined || width === 0) return false;
      const dst = this.buffers![b];
      const src = f.data;
      const plain = src.constructor === dst.constructor || (infos[b].kind === "float" && !isBig(src));
      if (!plain) return false;
      starts[b] = f.run(r, m, width);
      if (starts[b] < 0) return false;
    }
    for (let b = 0; b < cols.length; b++) {
      const width = this.widths[b]!;
      const src = cols[b][0].flat!.data as Float32Array;
      (this.buffers![b] as Float32Array).set(
        src.subarray(starts[b], starts[b] + m * width),
        this.rows * width,
      );
    }
    for (let k = 0; k < keepCols.length; k++) {
      const f = keepCols[k].flat;
      const at = f?.run ? f.run(r, m, 1) : -1;
      let store = this.keep[k];
      if (at >= 0 && store === undefined && this.rows === 0)
        store = this.keep[k] = new (f!.data.constructor as new (n: number) => NumericArray)(this.slabRows);
      if (at >= 0 && ArrayBuffer.isView(store) && store.constructor === f!.data.constructor)
        (store as Float32Array).set((f!.data as Float32Array).subarray(at, at + m), this.rows);
      else for (let i = 0; i < m; i++) this.keepOne(k, keepCols[k], r + i, this.rows + i);
    }
    return true;
  }

  /**
   * Row r's --keep value as the slab's row `at`: into the typed store while the values are exactly
   * representable there, else (from then on) into a plain array.
   */
  private keepOne(k: number, col: ColumnLike, r: number, at: number): void {
    const value = col.value(r);
    const store = this.keep[k];
    if (ArrayBuffer.isView(store)) {
      if (value !== null && col.flat?.data.constructor === store.constructor) {
        (store as Float32Array)[at] = value as number;
        return;
      }
      this.keep[k] = Array.from(store.subarray(0, at) as Float32Array) as unknown[];
    }
    ((this.keep[k] ??= []) as unknown[])[at] = value;
  }

  /** The last, partial slab (or one that carries only rejects); undefined when nothing is pending. */
  flush(): Batch | undefined {
    return this.read > 0 ? this.finish() : undefined;
  }

  private start(bindings: Binding[]): void {
    this.widths = bindings.map((b) => b.width);
    this.buffers = bindings.map((b, i) => this.buffer(i, this.slabRows * (b.width ?? 0)));
    this.keep = this.keepNames.map(() => undefined);
  }

  /** A slab buffer of `n` elements for input `i`: a spare one of that size when there is one. */
  private buffer(i: number, n: number): NumericArray {
    const make = this.cur!.infos[i].create;
    const empty = make(0);
    const spare = this.spare?.take(n * empty.BYTES_PER_ELEMENT);
    return spare ? new (empty.constructor as new (b: ArrayBuffer) => NumericArray)(spare) : make(n);
  }

  private fillRow(cur: Current, cols: ColumnLike[][], r: number): Bad | undefined {
    const { bindings, infos } = cur;
    for (let b = 0; b < bindings.length; b++) {
      const names = bindings[b].columnNames;
      const cs = cols[b];
      // Pass 1: check every cell of this input and count its numbers.
      let total = 0;
      for (let c = 0; c < cs.length; c++) {
        const f = cs[c].flat;
        if (f) {
          if (f.isNull(r) || f.hasNullItem?.(r)) return { column: names[c], reason: "is empty (NULL)" };
          total += f.length(r);
        } else {
          const s = (this.scratch[c] ??= []);
          s.length = 0;
          const bad = cellNumbers(cs[c].value(r), s);
          if (bad) return { column: names[c], reason: bad };
          total += s.length;
        }
      }
      let width = this.widths[b];
      if (width === undefined) {
        // A symbolic feature dim: the first row of the slab decides it for the slab.
        width = this.widths[b] = total;
        this.buffers![b] = this.buffer(b, this.slabRows * width);
      }
      if (total !== width)
        return {
          column: names.join(","),
          reason: `has ${total} values; the model input "${bindings[b].input.name}" takes ${width} per row`,
        };
      const kind = infos[b].kind;
      if (kind === "int" || kind === "bigint" || kind === "bool") {
        const bad = this.fraction(cs, r);
        if (bad !== undefined) return { column: names.join(","), reason: `${bad} is not an integer` };
      }
      // Pass 2: copy.
      const dst = this.buffers![b];
      let at = this.rows * width;
      for (let c = 0; c < cs.length; c++) {
        const f = cs[c].flat;
        if (f) at = copyFlat(dst, at, f, r);
        else {
          const s = this.scratch[c];
          if (dst instanceof BigInt64Array || dst instanceof BigUint64Array)
            for (let i = 0; i < s.length; i++) dst[at + i] = BigInt(s[i]);
          else dst.set(s, at);
          at += s.length;
        }
      }
    }
    return undefined;
  }

  /** The first value with a fraction among the row's cells, for integer inputs. */
  private fraction(cs: ColumnLike[], r: number): number | undefined {
    for (let c = 0; c < cs.length; c++) {
      const f = cs[c].flat;
      if (f) {
        if (f.integer) continue;
        const d = f.data as Float32Array;
        for (let i = f.start(r), e = i + f.length(r); i < e; i++) if (!Number.isInteger(d[i])) return d[i];
      } else for (const v of this.scratch[c]) if (!Number.isInteger(v)) return v;
    }
    return undefined;
  }

  private finish(): Batch {
    const cur = this.cur!;
    const feeds: Record<string, Tensor> = {};
    cur.bindings.forEach((b, i) => {
      const width = this.widths[i] ?? 0;
      const full = this.buffers![i];
      // A short slab (the last one, or one cut by rejects at the end) is copied to its own buffer,
      // so what is transferred to the worker is exactly the tensor.
      const data = this.rows === this.slabRows ? full : full.slice(0, this.rows * width);
      feeds[b.input.name] = {
        datatype: b.input.datatype,
        shape: [this.rows, ...(b.rowShape ?? [width])],
        data,
      };
    });
    const batch: Batch = {
      seq: this.seq++,
      rows: this.rows,
      read: this.read,
      feeds,
      keep: this.keep.map((k) =>
        k === undefined ? [] : ArrayBuffer.isView(k) && k.length !== this.rows ? k.subarray(0, this.rows) : k,
      ),
      rejects: this.rejects,
    };
    this.rows = 0;
    this.read = 0;
    this.buffers = null;
    this.rejects = [];
    this.keep = [];
    return batch;
  }
}

const isBig = (a: NumericArray) => a instanceof BigInt64Array || a instanceof BigUint64Array;

/** Copies one row's numbers from a flat column into `dst` at `at`; returns the next position. */
function copyFlat(dst: NumericArray, at: number, f: FlatColumn, r: number): number {
  const s = f.start(r);
  const n = f.length(r);
  const src = f.data;
  const dstBig = dst instanceof BigInt64Array || dst instanceof BigUint64Array;
  const srcBig = src instanceof BigInt64Array || src instanceof BigUint64Array;
  if (dstBig === srcBig) {
    if (n === 1) dst[at] = src[s];
    else (dst as Float32Array).set((src as Float32Array).subarray(s, s + n), at);
  } else if (dstBig) for (let i = 0; i < n; i++) dst[at + i] = BigInt(src[s + i]);
  else for (let i = 0; i < n; i++) dst[at + i] = Number(src[s + i]);
  return at + n;
}
