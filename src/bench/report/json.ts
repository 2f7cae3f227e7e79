/** `--json`: the versioned report (schema "mlpack-bench", schemaVersion 1) plus the comparison. */
export { reportToJson as renderJson } from "../baseline.js";
