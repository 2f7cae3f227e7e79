/**
 * Generates schema/mlpack.schema.json from src/config/types.ts (the types are the single source), with
 * the server section from the serve option table (src/serve/option-schema.ts).
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createGenerator } from "ts-json-schema-generator";
import { serverConfigJsonSchema } from "../src/serve/option-schema.js";

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
  // The server section comes from the serve option table, not from the type (one definition: ranges,
  // defaults and docs are the ones `mlpack serve` uses).
  const defs = schema.definitions as Record<string, { properties: Record<string, unknown> }>;
  defs.MlpackConfig.properties.server = {
    $ref: "#/definitions/ServerConfig",
    description: "Defaults for the model server inside the Docker image and the Lambda handler.",
  };
  (defs as Record<string, unknown>).ServerConfig = serverConfigJsonSchema();
  schema.$id = "https://mlpack.dev/schema/mlpack.schema.json";
  schema.title = "mlpack configuration (mlpack.yaml / mlpack.json)";
  return JSON.stringify(schema, null, 2) + "\n";
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  fs.mkdirSync(path.dirname(SCHEMA_FILE), { recursive: true });
  fs.writeFileSync(SCHEMA_FILE, generateConfigSchema());
  console.log(`wrote ${path.relative(ROOT, SCHEMA_FILE)}`);
}
