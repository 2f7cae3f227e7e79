/** Input files and reference predictions for the `mlpack predict` tests, made with DuckDB and onnxruntime. */
import { DuckDBInstance } from "@duckdb/node-api";
import ort from "onnxruntime-node";

/** Runs SQL in a throwaway in-memory DuckDB and returns the rows as JSON values. */
export async function sql(query: string): Promise<unknown[][]> {
  const inst = await DuckDBInstance.create(":memory:");
  const conn = await inst.connect();
  try {
    const r = await conn.runAndReadAll(query);
    return r.getRowsJson() as unknown[][];
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
}

export async function run(query: string): Promise<void> {
  await sql(query);
}

/** The model's outputs for the given rows, one call in this process (the reference). */
export async function reference(model: string, rows: number[][], dims: number[]): Promise<number[][]> {
  const s = await ort.InferenceSession.create(model);
  const width = dims.reduce((a, b) => a * b, 1);
  const out: number[][] = [];
  for (const row of rows) {
    const x = new ort.Tensor("float32", Float32Array.from(row), [1, ...dims]);
    const r = await s.run({ [s.inputNames[0]]: x });
    out.push(Array.from(r[s.outputNames[0]].data as Float32Array));
    if (row.length !== width) throw new Error("bad reference row");
  }
  await s.release();
  return out;
}

export function close(a: number[], b: number[], tol = 1e-4): boolean {
  return a.length === b.length && a.every((x, i) => Math.abs(x - b[i]) <= tol * Math.max(1, Math.abs(b[i])));
}
