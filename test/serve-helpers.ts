/** Models and helpers shared by the serve tests. */
import fs from "node:fs";
import path from "node:path";
import { makeModel, makeNode, makeValueInfo } from "../src/onnx/build.js";
import { encodeModelProto } from "../src/onnx/proto.js";
import { DT } from "../src/onnx/dtypes.js";
import { makeMlp } from "../src/onnx/fixtures.js";
import { serve, type ServeHandle } from "../src/serve/serve.js";
import { SERVE_DEFAULTS, type ServeOptions } from "../src/serve/options.js";

/** Every OIP datatype, as [OIP name, ONNX element type]. */
export const ECHO_TYPES: [string, number][] = [
  ["BOOL", DT.BOOL],
  ["UINT8", DT.UINT8],
  ["UINT16", DT.UINT16],
  ["UINT32", DT.UINT32],
  ["UINT64", DT.UINT64],
  ["INT8", DT.INT8],
  ["INT16", DT.INT16],
  ["INT32", DT.INT32],
  ["INT64", DT.INT64],
  ["FP16", DT.FLOAT16],
  ["FP32", DT.FLOAT],
  ["FP64", DT.DOUBLE],
  ["BYTES", DT.STRING],
];

export interface FixtureModels {
  mlp: string;
  mlp2: string;
  echo: string;
  fixed: string;
}

/** mlp: 4→8→3 [batch]; mlp2: same shape, other weights; echo: Identity per datatype; fixed: Relu [2,3]. */
export function writeFixtureModels(dir: string): FixtureModels {
  const write = (name: string, bytes: Uint8Array) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, bytes);
    return f;
  };
  const echo = makeModel({
    nodes: ECHO_TYPES.map(([n]) => makeNode("Identity", [`x_${n}`], [`y_${n}`])),
    inputs: ECHO_TYPES.map(([n, t]) => makeValueInfo(`x_${n}`, t, ["batch", 2])),
    outputs: ECHO_TYPES.map(([n, t]) => makeValueInfo(`y_${n}`, t, ["batch", 2])),
  });
  const fixed = makeModel({
    nodes: [makeNode("Relu", ["x"], ["y"])],
    inputs: [makeValueInfo("x", DT.FLOAT, [2, 3])],
    outputs: [makeValueInfo("y", DT.FLOAT, [2, 3])],
  });
  return {
    mlp: write("mlp.onnx", encodeModelProto(makeMlp({ widths: [4, 8, 3], seed: 1 }))),
    mlp2: write("mlp2.onnx", encodeModelProto(makeMlp({ widths: [4, 8, 3], seed: 2 }))),
    echo: write("echo.onnx", encodeModelProto(echo)),
    fixed: write("fixed.onnx", encodeModelProto(fixed)),
  };
}

export function startServer(
  opts: Partial<ServeOptions> & Pick<ServeOptions, "models">,
): Promise<ServeHandle> {
  return serve({ ...SERVE_DEFAULTS, port: 0, intraOpThreads: 1, ...opts });
}

export interface HttpReply {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export async function request(
  url: string,
  init: { method?: string; body?: string | Uint8Array; headers?: Record<string, string> } = {},
): Promise<HttpReply> {
  const r = await fetch(url, {
    method: init.method ?? (init.body !== undefined ? "POST" : "GET"),
    body: init.body,
    headers: init.headers,
  });
  const text = await r.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.status, headers: r.headers, text, json };
}
