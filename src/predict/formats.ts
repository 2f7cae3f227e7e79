/** File formats `mlpack predict` reads and writes, chosen by extension, as DuckDB SQL fragments. */
import path from "node:path";
import { UsageError } from "../errors.js";

export type InputFormat = "parquet" | "csv" | "jsonl" | "duckdb" | "npy" | "npz";
export type OutputFormat = "parquet" | "csv" | "jsonl" | "duckdb";

const BY_EXT: Record<string, InputFormat> = {
  ".parquet": "parquet",
  ".pq": "parquet",
  ".csv": "csv",
  ".tsv": "csv",
  ".jsonl": "jsonl",
  ".ndjson": "jsonl",
  ".json": "jsonl",
  ".duckdb": "duckdb",
  ".db": "duckdb",
  ".npy": "npy",
  ".npz": "npz",
};

/** Whether --input is a glob (DuckDB expands it) rather than one file's path. */
export const isGlob = (input: string): boolean => /[*?[]/.test(input);

export function inputFormat(file: string): InputFormat {
  const f = BY_EXT[path.extname(file).toLowerCase()];
  if (!f)
    throw new UsageError(`${file}: cannot tell the input format from the extension`, {
      hint: `use one of ${Object.keys(BY_EXT).join(", ")}`,
    });
  return f;
}

export function outputFormat(file: string): OutputFormat {
  const f = BY_EXT[path.extname(file).toLowerCase()];
  if (!f || f === "npy" || f === "npz")
    throw new UsageError(`${file}: predictions can be written as .parquet, .csv, .jsonl or a .duckdb table`, {
      hint: "pick the output format with the file's extension",
    });
  return f;
}

/** A string literal for SQL. */
export const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;
/** A quoted identifier for SQL. */
export const sqlIdent = (s: string) => `"${s.replaceAll('"', '""')}"`;

/**
 * The table function that reads one file. Text formats are sniffed over the whole file (sample_size=-1)
 * so a stray string in a numeric column types the column VARCHAR instead of failing half-way through:
 * the feature reader then rejects that one row with its number. Short CSV rows read as NULLs
 * (null_padding) for the same reason.
 */
export function readerSql(file: string, format: InputFormat, table?: string): string {
  switch (format) {
    case "parquet":
      return `read_parquet(${sqlString(file)})`;
    case "csv":
      return `read_csv(${sqlString(file)}, header=true, null_padding=true, sample_size=-1)`;
    case "jsonl":
      return `read_json(${sqlString(file)}, format='newline_delimited', sample_size=-1)`;
    case "duckdb":
      return `src.${sqlIdent(table ?? "")}`;
    default:
      throw new Error(`no SQL reader for ${format}`);
  }
}

/** COPY options for a file output. */
export function copyOptions(format: Exclude<OutputFormat, "duckdb">): string {
  return format === "parquet"
    ? "(FORMAT parquet, COMPRESSION zstd)"
    : format === "csv"
      ? "(FORMAT csv, HEADER true)"
      : "(FORMAT json)";
}
