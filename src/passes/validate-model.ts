/** Model-level rules: IR version and opset imports. */
import type { ValidationContext } from "./validate-context.js";
import { knownDomains, latestOpsetVersion } from "../ops/schema/registry.js";

/** The newest IR version in the onnx.proto mlpack reads (ONNX 1.20). */
export const MAX_KNOWN_IR_VERSION = 13;

export function validateModelHeader(ctx: ValidationContext): void {
  const { proto, diagnostics: d } = ctx;
  const ir = Number(proto.irVersion);
  if (ir > MAX_KNOWN_IR_VERSION) {
    d.warning("ir-version", `IR version ${ir} is newer than mlpack knows (${MAX_KNOWN_IR_VERSION})`, {
      hint: "upgrade mlpack, or re-export with an older exporter",
    });
  }
  if (ir >= 3 && proto.opsetImport.length === 0) {
    d.error("missing-opset-import", "the model imports no opset (IR >= 3 requires opset_import)", {
      hint: "add an opset_import entry for the default domain, e.g. { domain: '', version: 17 }",
    });
  }
  const seen = new Set<string>();
  const known = new Set(knownDomains());
  for (const o of proto.opsetImport) {
    const domain = o.domain === "ai.onnx" ? "" : o.domain;
    const label = domain || "ai.onnx";
    if (seen.has(domain))
      d.error("duplicate-opset-import", `opset_import lists domain "${label}" twice`, {
        hint: "keep one entry per domain",
      });
    seen.add(domain);
    if (known.has(domain)) {
      const latest = latestOpsetVersion(domain);
      if (Number(o.version) > latest) {
        d.warning(
          "opset-too-new",
          `${label} opset ${o.version} is newer than the ONNX spec mlpack knows (${latest})`,
          {
            hint: "ops are checked against their latest known version; upgrade mlpack for full checks",
          },
        );
      }
      if (Number(o.version) < 1)
        d.error("bad-opset-version", `${label} opset version ${o.version} is not valid`);
    }
  }
}
