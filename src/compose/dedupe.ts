/**
 * Storage clean-up for merged pieces: equal initializers (same type, dims and bytes) are kept once and
 * every reader is pointed at the kept one; model-local functions are merged by name.
 */
import { createHash } from "node:crypto";
import { clone, encodeTensorProto, TensorProtoSchema, FunctionProtoSchema } from "../onnx/proto.js";
import type { FunctionProto, ModelProto, TensorProto } from "../onnx/proto.js";
import { toBinary } from "@bufbuild/protobuf";
import { UserError } from "../errors.js";
import { renamePiece } from "./rename.js";

function contentKey(t: TensorProto): string {
  const c = clone(TensorProtoSchema, t);
  c.name = "";
  c.docString = "";
  return createHash("sha256").update(encodeTensorProto(c)).digest("hex");
}

export interface Deduped {
  protos: ModelProto[];
  dropped: number;
}

/** Names are already unique across the protos (renamed per piece). */
export function dedupeInitializers(protos: ModelProto[]): Deduped {
  const canonical = new Map<string, string>();
  const alias = new Map<string, string>();
  for (const m of protos) {
    const g = m.graph!;
    // Initializers that are also graph inputs can be overridden by a caller: never share them.
    const overridable = new Set(g.input.map((v) => v.name));
    for (const t of g.initializer) {
      if (overridable.has(t.name)) continue;
      const k = contentKey(t);
      const first = canonical.get(k);
      if (first === undefined) canonical.set(k, t.name);
      else alias.set(t.name, first);
    }
  }
  if (alias.size === 0) return { protos, dropped: 0 };
  const out = protos.map((m) => {
    const dupes = new Set(m.graph!.initializer.filter((t) => alias.has(t.name)));
    // renamePiece renames the duplicates (in place) to their canonical name: drop those copies.
    const r = renamePiece(m, (n) => alias.get(n) ?? n, "");
    r.graph!.initializer = r.graph!.initializer.filter((t) => !dupes.has(t));
    return r;
  });
  return { protos: out, dropped: alias.size };
}

export function mergeFunctions(pieces: { id: string; proto: ModelProto }[]): FunctionProto[] {
  const byName = new Map<string, { id: string; f: FunctionProto; bytes: string }>();
  for (const { id, proto } of pieces) {
    for (const f of proto.functions) {
      const name = `${f.domain}:${f.name}:${f.overload}`;
      const bytes = Buffer.from(toBinary(FunctionProtoSchema, f)).toString("base64");
      const had = byName.get(name);
      if (!had) byName.set(name, { id, f, bytes });
      else if (had.bytes !== bytes)
        throw new UserError(
          `"${had.id}" and "${id}" both define function ${f.domain}.${f.name}, differently`,
          { hint: "rename the function in one of the models before composing them" },
        );
    }
  }
  return [...byName.values()].map((x) => x.f);
}
