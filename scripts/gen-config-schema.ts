/** Generates schema/mlpack.schema.json from src/config/types.ts (the types are the single source). */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createGenerator } from "ts-json-schema-generator";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const SCHEMA_FILE = path.join(ROOT, "schema/mlpack.schema.json");

export function generateConfigSchema(): string {
  const schema = createGenerator({
    path: path.join(ROOT, "src/config/types.ts"),
    tsconfig: path.join(ROOT, "tsconfig.json"),
    type: "MlpackConfig",
    additionalProperties: false,
    skipTypeCheck: true,
    sortProps: true,
  }).createSchema("MlpackConfig");
  schema.$id = "https://mlpack.dev/schema/mlpack.schema.json";
  schema.title = "mlpack configuration (mlpack.yaml / mlpack.json)";
  return JSON.stringify(schema, null, 2) + "\n";
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  fs.mkdirSync(path.dirname(SCHEMA_FILE), { recursive: true });
  fs.writeFileSync(SCHEMA_FILE, generateConfigSchema());
  console.log(`wrote ${path.relative(ROOT, SCHEMA_FILE)}`);
}
