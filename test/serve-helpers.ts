/** Models and helpers shared by the serve tests. */
import fs from "node:fs";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { REPO } from "./helpers/cli.js";
import path from "node:path";
import { makeGraph, makeModel, makeNode, makeValueInfo } from "../src/onnx/build.js";
import { arrayToTensor } from "../src/onnx/tensor.js";
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

/**
 * loop: y = x + n (float ["batch",1]), computed by a Loop of max(n) iterations (n: int64 ["batch"]).
 * A request with a huge n never finishes in practice: the stuck-request fixture for timeouts.
 */
export function makeLoopModel(): Uint8Array {
  const body = makeGraph({
    name: "body",
    nodes: [makeNode("Identity", ["cond_in"], ["cond_out"]), makeNode("Add", ["v_in", "one"], ["v_out"])],
    inputs: [
      makeValueInfo("iter", DT.INT64, []),
      makeValueInfo("cond_in", DT.BOOL, []),
      makeValueInfo("v_in", DT.FLOAT),
    ],
    outputs: [makeValueInfo("cond_out", DT.BOOL, []), makeValueInfo("v_out", DT.FLOAT)],
    initializers: [arrayToTensor("one", DT.FLOAT, [], new Float32Array([1]))],
  });
  return encodeModelProto(
    makeModel({
      nodes: [
        makeNode("ReduceMax", ["n"], ["m"], { keepdims: { int: 0 } }),
        makeNode("Loop", ["m", "cond", "x"], ["y"], { body: { graph: body } }),
      ],
      inputs: [makeValueInfo("x", DT.FLOAT, ["batch", 1]), makeValueInfo("n", DT.INT64, ["batch"])],
      outputs: [makeValueInfo("y", DT.FLOAT, ["batch", 1])],
      initializers: [arrayToTensor("cond", DT.BOOL, [], new Uint8Array([1]))],
    }),
  );
}

/** gather: y = table[idx] (idx: int64 ["batch"], y: float ["batch",3]); table row r is [r, r+0.5, r*r]. */
export const GATHER_ROWS = 10;
export function makeGatherModel(): Uint8Array {
  const table = new Float32Array(GATHER_ROWS * 3);
  for (let r = 0; r < GATHER_ROWS; r++) table.set([r, r + 0.5, r * r], r * 3);
  return encodeModelProto(
    makeModel({
      nodes: [makeNode("Gather", ["table", "idx"], ["y"], { axis: { int: 0 } })],
      inputs: [makeValueInfo("idx", DT.INT64, ["batch"])],
      outputs: [makeValueInfo("y", DT.FLOAT, ["batch", 3])],
      initializers: [arrayToTensor("table", DT.FLOAT, [GATHER_ROWS, 3], table)],
    }),
  );
}

export interface Running {
  child: ChildProcessWithoutNullStreams;
  url: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts `mlpack serve` and waits for its "listening on" line. */
export async function startCli(args: string[]): Promise<Running> {
  const child = spawn(process.execPath, [path.join(REPO, "bin/mlpack.js"), "serve", ...args], {
    cwd: REPO,
    env: { ...process.env, NO_COLOR: "1" },
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no "listening on" line in 30 s:\n${out}\n${err}`)),
      30_000,
    );
    const check = () => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on("data", check);
    void exited.then((code) =>
      reject(new Error(`serve exited with ${code} before listening:\n${out}\n${err}`)),
    );
  });
  return { child, url, stdout: () => out, stderr: () => err, exited };
}
