/**
 * Rows → model input tensors. Each model input is bound to columns of the file: one list column (or a
 * scalar column for one value per row), or a list of scalar feature columns (--map). Bad rows become
 * rejects with the file, row and column; the batch records how many input rows it consumed so the
 * counts of read, written and rejected rows always add up.
 */
import { UserError } from "../errors.js";
import { datatypeInfo, type Tensor } from "../serve/datatypes.js";
import type { TensorSpec } from "../serve/model-info.js";
import { cellNumbers, jsonCell, type Chunk } from "./columns.js";
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

export interface Batch {
  seq: number;
  rows: number;
  /** Input rows consumed: rows + rejects.length. */
  read: number;
  feeds: Record<string, Tensor>;
  /** Kept column values, one array per --keep column. */
  keep: unknown[][];
  rejects: Reject[];
}

export function bindInputs(inputs: TensorSpec[], file: InputFile, map: Record<string, string[]>): Binding[] {
  const names = file.columns.map((c) => c.name);
  const available = names.join(", ");
  for (const key of Object.keys(map))
    if (!inputs.some((i) => i.name === key))
      throw new UserError(`--map ${key}=...: the model has no input "${key}"`, {
        hint: `its inputs are: ${inputs.map((i) => i.name).join(", ")}`,
      });
  return inputs.map((input) => {
    let cols = map[input.name];
    if (!cols) {
      if (names.includes(input.name)) cols = [input.name];
      else if (inputs.length === 1 && names.length === 1) cols = [names[0]];
      else
        throw new UserError(`${file.path}: no column "${input.name}" for the model input "${input.name}"`, {
          hint: `map it to the file's columns (${available}) with --map ${input.name}=COLUMN or --map ${input.name}=COL1,COL2,...`,
        });
    }
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
    const rest = input.shape.slice(1);
    const fixed = rest.every((d): d is number => typeof d === "number");
    if (!fixed && rest.length !== 1)
      throw new UserError(
        `model input "${input.name}" has symbolic dims besides the batch: [${input.shape.join(",")}]`,
        {
          hint: "fix them when exporting (or with onnxruntime's make_dynamic_shape_fixed)",
        },
      );
    const width = fixed ? rest.reduce((a, b) => a * b, 1) : undefined;
    if (cols.length > 1 && width !== undefined && cols.length !== width)
      throw new UserError(
        `--map ${input.name}: ${cols.length} columns, but the model input takes ${width} values per row`,
        { hint: `list exactly ${width} columns, or one list column` },
      );
    return { input, columns, columnNames: cols, width, rowShape: fixed ? rest : undefined };
  });
}

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
}

/** Fills fixed-size batches from chunks; a batch ends at batchSize accepted rows (or at the end). */
export class BatchBuilder {
  private seq = 0;
  private cur?: Current;
  private rows = 0;
  private read = 0;
  private buffers: Float64Array[] | null = null;
  private widths: (number | undefined)[] = [];
  private keep: unknown[][] = [];
  private rejects: Reject[] = [];
  private readonly scratch: number[] = [];

  constructor(
    private readonly keepNames: string[],
    private readonly batchSize: number,
    private readonly onError: "fail" | "skip",
  ) {}

  setFile(file: InputFile, bindings: Binding[], keepIdx: number[]): void {
    this.cur = { file, bindings, keepIdx };
  }

  /** Adds a chunk whose first row is row `firstRow` (0-based) of the current file; returns full batches. */
  add(chunk: Chunk, firstRow: number): Batch[] {
    const cur = this.cur!;
    const done: Batch[] = [];
    const cols = cur.bindings.map((b) => b.columns.map((c) => chunk.column(c)));
    const keepCols = cur.keepIdx.map((c) => chunk.column(c));
    for (let r = 0; r < chunk.rowCount; r++) {
      if (!this.buffers) this.start(cur.bindings);
      this.read++;
      const bad = this.fillRow(cur.bindings, cols, r);
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
      for (let k = 0; k < keepCols.length; k++) this.keep[k].push(keepCols[k].value(r));
      this.rows++;
      if (this.rows === this.batchSize) done.push(this.finish());
    }
    return done;
  }

  /** The last, partial batch (or one that carries only rejects); undefined when nothing is pending. */
  flush(): Batch | undefined {
    return this.read > 0 ? this.finish() : undefined;
  }

  private start(bindings: Binding[]): void {
    this.widths = bindings.map((b) => b.width);
    this.buffers = bindings.map((b) => new Float64Array(this.batchSize * (b.width ?? 0)));
    this.keep = this.keepNames.map(() => []);
  }

  private fillRow(bindings: Binding[], cols: { value(r: number): unknown }[][], r: number) {
    for (let b = 0; b < bindings.length; b++) {
      const s = this.scratch;
      s.length = 0;
      const names = bindings[b].columnNames;
      for (let c = 0; c < cols[b].length; c++) {
        const bad = cellNumbers(cols[b][c].value(r), s);
        if (bad) return { column: names[c], reason: bad };
      }
      let width = this.widths[b];
      if (width === undefined) {
        // A symbolic feature dim: the first row of the batch decides it for the batch.
        width = this.widths[b] = s.length;
        this.buffers![b] = new Float64Array(this.batchSize * width);
      }
      if (s.length !== width)
        return {
          column: names.join(","),
          reason: `has ${s.length} values; the model input "${bindings[b].input.name}" takes ${width} per row`,
        };
      const kind = datatypeInfo(bindings[b].input.datatype).kind;
      if (kind === "int" || kind === "bigint" || kind === "bool")
        for (const v of s)
          if (!Number.isInteger(v)) return { column: names.join(","), reason: `${v} is not an integer` };
      this.buffers![b].set(s, this.rows * width);
    }
    return undefined;
  }

  private finish(): Batch {
    const cur = this.cur!;
    const feeds: Record<string, Tensor> = {};
    cur.bindings.forEach((b, i) => {
      const width = this.widths[i] ?? 0;
      const info = datatypeInfo(b.input.datatype);
      const src = this.buffers![i].subarray(0, this.rows * width);
      const data = info.create(src.length);
      if (info.kind === "bigint")
        for (let j = 0; j < src.length; j++) (data as BigInt64Array)[j] = BigInt(src[j]);
      else (data as Float32Array).set(src);
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
      keep: this.keep,
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
