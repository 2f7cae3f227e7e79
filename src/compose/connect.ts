/**
 * Checks connections before anything is merged: both ends exist, each input is fed once, types and
 * shapes agree, and the pieces form no cycle. Every error names both ends.
 */
import { UserError } from "../errors.js";
import type { ValueInfoProto } from "../onnx/proto.js";
import { formatShape, tensorShape, typeToString, type Dim } from "../ir/types.js";
import { formatEndpoint as fmt, type Connection, type Endpoint, type Piece } from "./types.js";

/** Graph inputs a caller must feed (inputs backed by an initializer are overridable weights). */
export function feedInputs(p: Piece): ValueInfoProto[] {
  const g = p.proto.graph!;
  const inits = new Set(g.initializer.map((t) => t.name));
  return g.input.filter((v) => !inits.has(v.name));
}

export function pieceOutputs(p: Piece): ValueInfoProto[] {
  return p.proto.graph!.output;
}

function describe(v: ValueInfoProto): string {
  return `${typeToString(v.type) ?? "unknown type"} ${formatShape(tensorShape(v.type))}`;
}

function names(vs: ValueInfoProto[]): string {
  return vs.map((v) => v.name).join(", ") || "none";
}

export function findPiece(pieces: Piece[], id: string, ref: string): Piece {
  const p = pieces.find((x) => x.id === id);
  if (!p)
    throw new UserError(`${ref}: no model or stage named "${id}"`, {
      hint: `names are the model file names without .onnx: ${pieces.map((x) => x.id).join(", ")}`,
    });
  return p;
}

export function findOutput(pieces: Piece[], e: Endpoint, ref = fmt(e)): ValueInfoProto {
  const p = findPiece(pieces, e.piece, ref);
  const v = pieceOutputs(p).find((x) => x.name === e.name);
  if (!v)
    throw new UserError(`${ref}: "${p.id}" has no output "${e.name}"`, {
      hint: `outputs of ${p.id}: ${names(pieceOutputs(p))}`,
    });
  return v;
}

export function findInput(pieces: Piece[], e: Endpoint, ref = fmt(e)): ValueInfoProto {
  const p = findPiece(pieces, e.piece, ref);
  const v = feedInputs(p).find((x) => x.name === e.name);
  if (!v)
    throw new UserError(`${ref}: "${p.id}" has no input "${e.name}"`, {
      hint: `inputs of ${p.id}: ${names(feedInputs(p))}`,
    });
  return v;
}

/** Why two dims cannot be the same size, or undefined when they may be. */
function dimClash(a: Dim, b: Dim): boolean {
  return typeof a === "number" && typeof b === "number" && a !== b;
}

export function checkConnection(pieces: Piece[], c: Connection): void {
  const link = `${fmt(c.from)}=${fmt(c.to)}`;
  if (c.from.piece === c.to.piece)
    throw new UserError(`--connect ${link}: connects "${c.from.piece}" to itself (a cycle)`, {
      hint: "a model's output cannot feed its own input; connect it to another model",
    });
  const out = findOutput(pieces, c.from, `--connect ${link}`);
  const inp = findInput(pieces, c.to, `--connect ${link}`);
  const [ta, tb] = [typeToString(out.type), typeToString(inp.type)];
  const mismatch = (why: string) =>
    new UserError(
      `--connect ${link}: ${fmt(c.from)} is ${describe(out)} but ${fmt(c.to)} expects ${describe(inp)} (${why})`,
      { hint: "connect an output of the matching type and shape, or add a stage that converts it" },
    );
  if (ta && tb && ta !== tb) throw mismatch("element types differ");
  const [sa, sb] = [tensorShape(out.type), tensorShape(inp.type)];
  if (sa && sb) {
    if (sa.length !== sb.length) throw mismatch(`rank ${sa.length} vs ${sb.length}`);
    const i = sa.findIndex((d, k) => dimClash(d, sb[k]));
    if (i >= 0) throw mismatch(`dim ${i} is ${sa[i]} vs ${sb[i]}`);
  }
}

/** Each input fed at most once; every connection valid. */
export function checkConnections(pieces: Piece[], connections: Connection[]): void {
  const fed = new Map<string, Connection>();
  for (const c of connections) {
    checkConnection(pieces, c);
    const key = fmt(c.to);
    const prev = fed.get(key);
    if (prev)
      throw new UserError(`${key} is fed twice: by ${fmt(prev.from)} and by ${fmt(c.from)}`, {
        hint: "an input takes one value; drop one of the two --connect options",
      });
    fed.set(key, c);
  }
}

/** Pieces in an order where every piece comes after the pieces it reads from. */
export function orderPieces(pieces: Piece[], connections: Connection[]): Piece[] {
  const deps = new Map(pieces.map((p) => [p.id, new Set<string>()]));
  for (const c of connections) deps.get(c.to.piece)!.add(c.from.piece);
  const done = new Set<string>();
  const order: Piece[] = [];
  // Repeatedly take the first piece (in command-line order) whose inputs are all ready: stable.
  while (order.length < pieces.length) {
    const next = pieces.find((p) => !done.has(p.id) && [...deps.get(p.id)!].every((d) => done.has(d)));
    if (!next) {
      const stuck = pieces.filter((p) => !done.has(p.id)).map((p) => p.id);
      throw new UserError(`the connections form a cycle: ${describeCycle(stuck, connections)}`, {
        hint: "a pipeline flows one way; remove one of the connections in the cycle",
      });
    }
    done.add(next.id);
    order.push(next);
  }
  return order;
}

/**
 * One cycle among the stuck pieces, as "a.y=b.x, b.z=a.w". Walks backwards: every stuck piece reads
 * from another stuck piece, so going upstream must come back to a piece already visited.
 */
function describeCycle(stuck: string[], connections: Connection[]): string {
  const path: Connection[] = [];
  const seen = new Map<string, number>();
  let at = stuck[0];
  while (!seen.has(at)) {
    seen.set(at, path.length);
    const c = connections.find((x) => x.to.piece === at && stuck.includes(x.from.piece))!;
    path.push(c);
    at = c.from.piece;
  }
  const cycle = path.slice(seen.get(at)).reverse();
  return cycle.map((c) => `${fmt(c.from)}=${fmt(c.to)}`).join(", ");
}
