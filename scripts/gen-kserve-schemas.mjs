/**
 * Extracts the openAPIV3Schema of KServe's CRDs (InferenceService, InferenceGraph, ServingRuntime)
 * into minified JSON under schema/kserve/, read at run time to validate generated manifests. The
 * 2 MB CRD YAML takes seconds to parse; the extracted JSON loads in tens of milliseconds.
 *
 * Source: the CRDs in ../shared/k8s/kserve (kserve/kserve, config/crd/full/, Apache-2.0). Run with
 * `npm run gen:kserve-schemas`; the output is committed with the upstream LICENSE beside it.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const src = path.resolve(process.argv[2] ?? path.join(root, "../shared/k8s/kserve"));
const out = path.join(root, "schema/kserve");
const CRDS = {
  "serving.kserve.io_inferenceservices.yaml": "inferenceservice",
  "serving.kserve.io_inferencegraphs.yaml": "inferencegraph",
  "serving.kserve.io_servingruntimes.yaml": "servingruntime",
};
fs.mkdirSync(out, { recursive: true });
for (const [file, kind] of Object.entries(CRDS)) {
  const crd = YAML.parse(fs.readFileSync(path.join(src, file), "utf8"), { maxAliasCount: -1 });
  for (const v of crd.spec.versions) {
    const name = `${kind}-${v.name}.schema.json`;
    const schema = {
      group: crd.spec.group,
      kind: crd.spec.names.kind,
      version: v.name,
      schema: v.schema.openAPIV3Schema,
    };
    fs.writeFileSync(path.join(out, name), JSON.stringify(schema));
    console.log(`wrote schema/kserve/${name}`);
  }
}
fs.copyFileSync(path.join(src, "LICENSE"), path.join(out, "LICENSE"));
