/**
 * An onnxruntime session for a thread that does nothing but run one model (predict's and serve's
 * worker threads): onnxruntime-node's native session, called synchronously.
 *
 * The public `session.run` defers every call to setImmediate (one turn of the event loop), checks the
 * feeds again and wraps each result in a new Tensor: about 5 µs a run here, 12-14% of a 64-128-64-10
 * MLP's batch-64 run on one thread (1.48M rows/s through `session.run` against 1.69M called directly,
 * tmp/sync-run.mjs). On a worker thread that turn buys nothing: nothing else waits for the thread.
 * The native binding is not part of onnxruntime-node's public API, so it is reached defensively: if
 * its module or methods are not where version 1.30 has them, the public API is used instead
 * (`direct` is false), with the same results.
 */
import { createRequire } from "node:module";
import ort from "onnxruntime-node";
import { ORT_TYPE_NAMES } from "./onnx/dtypes.js";

export type Feeds = Record<string, ort.Tensor>;
export type Results = Record<string, ort.Tensor>;

export interface WorkerSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly ort.InferenceSession.ValueMetadata[];
  readonly outputMetadata: readonly ort.InferenceSession.ValueMetadata[];
  /** True when runs call the native session directly (and return at once). */
  readonly direct: boolean;
  /** Every output; synchronous where `direct`. Throws (or rejects) with onnxruntime's error. */
  run(feeds: Feeds): Results | Promise<Results>;
  release(): Promise<void>;
}

/** What onnxruntime-node's binding gives for an input or output (dist/backend.js reads the same). */
interface RawMetadata {
  name: string;
  isTensor: boolean;
  type: number;
  shape: number[];
  symbolicDimensions: string[];
}

interface RawSession {
  loadModel(path: string, options: ort.InferenceSession.SessionOptions): void;
  run(feeds: Feeds, fetches: Record<string, null>, options: object): Results;
  dispose(): void;
  readonly inputMetadata: RawMetadata[];
  readonly outputMetadata: RawMetadata[];
}

interface Binding {
  binding: { InferenceSession: new () => RawSession };
  initOrt: () => void;
}

let binding: Binding | null | undefined;

/** onnxruntime-node's binding module, or null when it is not where it was (another version). */
function nativeBinding(): Binding | null {
  if (binding !== undefined) return binding;
  try {
    const b = createRequire(import.meta.url)("onnxruntime-node/dist/binding") as Partial<Binding>;
    const S = b.binding?.InferenceSession;
    binding =
      typeof b.initOrt === "function" &&
      typeof S === "function" &&
      typeof S.prototype.loadModel === "function" &&
      typeof S.prototype.run === "function"
        ? (b as Binding)
        : null;
  } catch {
    binding = null;
  }
  return binding;
}

/**
 * Opens `model` (a file path) on the CPU with `options`. Options naming execution providers go
 * through the public API, which resolves them.
 */
export async function openWorkerSession(
  model: string,
  options: ort.InferenceSession.SessionOptions,
): Promise<WorkerSession> {
  const b = options.executionProviders?.length ? null : nativeBinding();
  if (!b) return publicSession(await ort.InferenceSession.create(model, options));
  b.initOrt();
  const raw = new b.binding.InferenceSession();
  raw.loadModel(model, options);
  const inputs = raw.inputMetadata.map(valueMetadata);
  const outputs = raw.outputMetadata.map(valueMetadata);
  const fetches: Record<string, null> = Object.fromEntries(outputs.map((o) => [o.name, null]));
  const noOptions = {};
  return {
    inputNames: inputs.map((m) => m.name),
    outputNames: outputs.map((m) => m.name),
    inputMetadata: inputs,
    outputMetadata: outputs,
    direct: true,
    run: (feeds) => raw.run(feeds, fetches, noOptions),
    release: async () => raw.dispose(),
  };
}

function publicSession(s: ort.InferenceSession): WorkerSession {
  return {
    inputNames: s.inputNames,
    outputNames: s.outputNames,
    inputMetadata: s.inputMetadata,
    outputMetadata: s.outputMetadata,
    direct: false,
    run: (feeds) => s.run(feeds),
    release: () => s.release(),
  };
}

/** Element type names as onnxruntime-node's backend gives them (its dataTypeStrings). */
const TYPE_NAMES: Readonly<Record<number, string>> = { ...ORT_TYPE_NAMES, 21: "uint4", 22: "int4" };

/**
 * The binding's metadata as the public API words it (a symbolic dim by its name), refusing what it
 * refuses, with its words: a type it has no name for (bfloat16, float8...), a negative dim.
 */
function valueMetadata(m: RawMetadata): ort.InferenceSession.ValueMetadata {
  if (!m.isTensor) return { name: m.name, isTensor: false };
  const type = TYPE_NAMES[m.type];
  if (type === undefined) throw new Error(`Unsupported data type: ${m.type}`);
  return {
    name: m.name,
    isTensor: true,
    type: type as "float32",
    shape: m.shape.map((d, i) => {
      if (d === -1) return m.symbolicDimensions[i];
      if (d >= 0) return d;
      throw new Error(`Invalid dimension: ${d}`);
    }),
  };
}
