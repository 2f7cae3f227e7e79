/** `mlpack predict` options: the typed form the library takes, and parsers for the CLI's strings (pure). */
import { UsageError } from "../errors.js";

export interface Shard {
  index: number;
  count: number;
}

export interface PredictOptions {
  model: string;
  /** A file path or a glob (`data/*.parquet`); several files are read in sorted order. */
  input: string;
  /** The table to read when the input is a DuckDB database file. */
  inputTable?: string;
  output: string;
  /** The table to (re)create when the output is a DuckDB database file (default "predictions"). */
  outputTable?: string;
  /** SQL filter on the input rows. */
  where?: string;
  /** SQL select list computed from the input rows (default `*`). */
  select?: string;
  /** Model input → the columns that hold its features (one list column, or scalar columns in order). */
  map: Record<string, string[]>;
  /**
   * Model input → its dims after the batch dim, for an input whose dims there are symbolic (a conv net
   * exported with dynamic height and width): the flat values of a row are fed in this shape.
   */
  shapes?: Record<string, number[]>;
  /** Columns copied through to the output, before the model's outputs. */
  keep: string[];
  batchSize: number;
  /** Worker threads, each with its own session (0: chosen by defaultWorkers in predict.ts). */
  workers: number;
  /** onnxruntime intra-op threads per worker (0: chosen by defaultThreads in predict.ts). */
  threads: number;
  /** Rows per output part (the unit of resume); default: sized to ~32 MiB of outputs. */
  partRows?: number;
  resume: boolean;
  /** Discard the parts an interrupted run left behind and start over. */
  restart: boolean;
  shard?: Shard;
  onError: "fail" | "skip";
  /** Where rejected rows go (JSON Lines); default `<output>.rejects.jsonl`. */
  rejects?: string;
  /** Parquet parts always through DuckDB, zstd-compressed (else plain numeric columns are written uncompressed, faster). */
  compress?: boolean;
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index >= count)
    throw new UsageError(`--shard ${text}: expected I/N with 0 <= I < N`, {
      hint: "e.g. --shard 0/4 processes the first of four shards",
    });
  return { index, count };
}

/** `--map input=col1,col2` (repeatable) → {input: [col1, col2]}. */
export function parseMap(entries: string[]): Record<string, string[]> {
  const map: Record<string, string[]> = {};
  for (const e of entries) {
    const eq = e.indexOf("=");
    const cols = eq > 0 ? splitList(e.slice(eq + 1)) : [];
    if (eq <= 0 || cols.length === 0)
      throw new UsageError(`--map ${e}: expected INPUT=COLUMN[,COLUMN...]`, {
        hint: "e.g. --map input=f0,f1,f2 (scalar feature columns) or --map input=features (one list column)",
      });
    map[e.slice(0, eq)] = cols;
  }
  return map;
}

/** `--shape input=3,224,224` (repeatable) → {input: [3, 224, 224]}. */
export function parseShapes(entries: string[]): Record<string, number[]> {
  const shapes: Record<string, number[]> = {};
  for (const e of entries) {
    const eq = e.indexOf("=");
    const items =
      eq > 0
        ? e
            .slice(eq + 1)
            .split(",")
            .map((d) => d.trim())
        : [];
    if (items.length === 0 || !items.every((d) => /^[1-9]\d{0,9}$/.test(d)))
      throw new UsageError(
        `--shape ${e}: expected INPUT=DIM[,DIM...] (positive integers, the dims after the batch)`,
        {
          hint: "e.g. --shape x=3,48,192 for an input [batch, 3, height, width] exported with dynamic height and width",
        },
      );
    const name = e.slice(0, eq);
    if (Object.hasOwn(shapes, name)) throw new UsageError(`--shape ${name}=... is given twice`);
    shapes[name] = items.map(Number);
  }
  return shapes;
}

export function splitList(text: string | undefined): string[] {
  return (text ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

export function parsePositiveInt(flag: string, text: string, min = 1): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} ${text}: expected an integer >= ${min}`);
  return n;
}

/** The output path of one shard: `{shard}` in the path, or `.shard-I-of-N` before the extension. */
export function shardOutputPath(output: string, shard: Shard | undefined): string {
  if (!shard) return output;
  if (output.includes("{shard}")) return output.replaceAll("{shard}", String(shard.index));
  const m = /^(.*?)(\.[A-Za-z0-9]+)?$/.exec(output)!;
  return `${m[1]}.shard-${shard.index}-of-${shard.count}${m[2] ?? ""}`;
}
