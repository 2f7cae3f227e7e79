/**
 * Worker thread for `mlpack predict`: one onnxruntime session; each message is a slab of rows, run
 * through the model `batchSize` rows at a time (the batch size the user asked for) with the outputs
 * gathered into one buffer per output and transferred back. One message per slab instead of one per
 * batch: at small batches the round trips between threads, not the model, set the pace.
 */
import { parentPort, workerData } from "node:worker_threads";
import ort from "onnxruntime-node";
import type { NumericArray } from "../onnx/tensor.js";
import type { Tensor } from "../serve/datatypes.js";
import { fromOrtTensor } from "../serve/ort-tensors.js";
import { datatypeFromOrt, datatypeInfo } from "../serve/datatypes.js";
import type { TensorSpec } from "../serve/model-info.js";
import type { SlabInit, SlabReply, SlabRequest } from "./slab-messages.js";
import { errorLine, ortSessionOptions } from "../ort-session.js";
import { openWorkerSession, type WorkerSession } from "../ort-direct.js";

const init = workerData as SlabInit;
const port = parentPort!;
let session: WorkerSession | undefined;

async function start(): Promise<void> {
  try {
    session = await openWorkerSession(init.model, ortSessionOptions(init.intraOpThreads));
    port.postMessage({
      type: "ready",
      inputs: session.inputMetadata.map(spec),
      outputs: session.outputMetadata.map(spec),
    } satisfies SlabReply);
  } catch (e) {
    port.postMessage({ type: "init-error", message: errorLine(e) } satisfies SlabReply);
  }
}

async function run(msg: Extract<SlabRequest, { type: "run" }>): Promise<void> {
  try {
    const outputs = await runSlab(msg.feeds, msg.batchSize);
    const inputs = [
      ...new Set(Object.values(msg.feeds).map((t) => (t.data as NumericArray).buffer as ArrayBuffer)),
    ];
    const transfer = Object.values(outputs).map((t) => (t.data as NumericArray).buffer as ArrayBuffer);
    port.postMessage({ type: "result", job: msg.job, outputs, inputs } satisfies SlabReply, [
      ...new Set([...transfer, ...inputs]),
    ]);
  } catch (e) {
    port.postMessage({ type: "error", job: msg.job, message: errorLine(e) } satisfies SlabReply);
  }
}

async function runSlab(feeds: Record<string, Tensor>, batchSize: number): Promise<Record<string, Tensor>> {
  const names = Object.keys(feeds);
  const rows = feeds[names[0]].shape[0];
  const gathered: Record<string, Tensor> = {};
  for (let start = 0; start < rows; start += batchSize) {
    const n = Math.min(batchSize, rows - start);
    const slice: Record<string, ort.Tensor> = {};
    for (const name of names) {
      const t = feeds[name];
      const per = t.shape.slice(1).reduce((a, b) => a * b, 1);
      const data = (t.data as NumericArray).subarray(start * per, (start + n) * per);
      slice[name] = new ort.Tensor(datatypeInfo(t.datatype).ort as "float32", data as Float32Array, [
        n,
        ...t.shape.slice(1),
      ]);
    }
    // Synchronous where the native session is reached (see ort-direct.ts): no event-loop turn a batch.
    const run = session!.run(slice);
    const result = run instanceof Promise ? await run : run;
    for (const [name, value] of Object.entries(result)) {
      const out = fromOrtTensor(name, value);
      if (n === rows) {
        gathered[name] = out; // the whole slab in one batch: nothing to gather
        continue;
      }
      const data = out.data as NumericArray;
      const per = data.length / n;
      let g = gathered[name];
      if (!g) {
        const whole = datatypeInfo(out.datatype).create(rows * per);
        g = gathered[name] = { datatype: out.datatype, shape: [rows, ...out.shape.slice(1)], data: whole };
      }
      if (g.shape.slice(1).join(",") !== out.shape.slice(1).join(","))
        throw new Error(
          `output "${name}" changed shape between batches ([${g.shape.slice(1).join(",")}] then [${out.shape.slice(1).join(",")}])`,
        );
      (g.data as Float32Array).set(data as Float32Array, start * per);
    }
  }
  return gathered;
}

/** onnxruntime's view of an input or output as the TensorSpec the rest of predict uses. */
function spec(m: ort.InferenceSession.ValueMetadata): TensorSpec {
  if (!m.isTensor)
    throw new Error(`"${m.name}" is not a tensor (a sequence or map); mlpack predict carries tensors`);
  return {
    name: m.name,
    // an element type the protocol has no name for (float8, int4...): refused like BYTES
    datatype: datatypeFromOrt(m.type) ?? "BYTES",
    // no declared shape comes back as []; an unknown, unnamed dim as -1 or ""
    shape:
      m.shape.length === 0
        ? null
        : m.shape.map((d) => (d === "" || (typeof d === "number" && d < 0) ? null : d)),
  };
}

let current: Promise<void> = Promise.resolve();

port.on("message", (msg: SlabRequest) => {
  if (msg.type === "run") current = current.then(() => run(msg));
  else void current.then(() => session?.release()).finally(() => port.close());
});

void start();
