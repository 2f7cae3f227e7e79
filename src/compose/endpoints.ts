/** Parsing `PIECE.NAME` references and `A.out=B.in` connections against the known piece ids. */
import { UsageError, UserError } from "../errors.js";
import type { Connection, Endpoint } from "./types.js";

/**
 * Ids and value names may both contain dots ("ch_ppocr_mobile_v2.0_cls_infer.softmax_0.tmp_0"), so the
 * longest id that prefixes the reference wins. A 1-based position ("2.x") also names a model.
 */
export function parseEndpoint(text: string, ids: string[], flag: string): Endpoint {
  const id = ids.filter((i) => text.startsWith(`${i}.`)).sort((a, b) => b.length - a.length)[0];
  if (id !== undefined) return { piece: id, name: text.slice(id.length + 1) };
  const m = /^(\d+)\.(.+)$/.exec(text);
  if (m && Number(m[1]) >= 1 && Number(m[1]) <= ids.length)
    return { piece: ids[Number(m[1]) - 1], name: m[2] };
  const dot = text.indexOf(".");
  if (dot <= 0 || dot === text.length - 1)
    throw new UsageError(`${flag} ${text}: expected MODEL.NAME, e.g. ${ids[0] ?? "model"}.output`, {
      hint: `MODEL is a model's file name without .onnx (${ids.join(", ")}) or its position (1, 2, ...)`,
    });
  throw new UserError(`${flag} ${text}: no model or stage named "${text.slice(0, dot)}"`, {
    hint: `names are the model file names without .onnx: ${ids.join(", ")}`,
  });
}

export function parseConnection(text: string, ids: string[]): Connection {
  const parts = text.split("=");
  if (parts.length !== 2 || !parts[0] || !parts[1])
    throw new UsageError(`--connect ${text}: expected FROM.OUTPUT=TO.INPUT`, {
      hint: `e.g. --connect ${ids[0] ?? "a"}.output=${ids[1] ?? "b"}.input`,
    });
  return {
    from: parseEndpoint(parts[0], ids, `--connect ${text}:`),
    to: parseEndpoint(parts[1], ids, `--connect ${text}:`),
  };
}

/** "name" for a model file "dir/name.onnx"; repeated names get "_2", "_3". */
export function pieceIds(files: string[]): string[] {
  const used = new Set<string>();
  return files.map((f) => {
    const base =
      f
        .replace(/\\/g, "/")
        .split("/")
        .pop()!
        .replace(/\.onnx$/i, "") || "model";
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}_${n}`;
    used.add(id);
    return id;
  });
}
