/**
 * Worker thread entry: one onnxruntime session per model, one job at a time (session.run blocks this
 * thread, which is the point of running it here rather than on the HTTP thread).
 */
import { parentPort, workerData } from "node:worker_threads";
import ort from "onnxruntime-node";
import type { Tensor } from "./datatypes.js";
import { fromOrtTensor, toOrtFeeds } from "./ort-tensors.js";
import { errorLine, ortSessionOptions } from "../ort-session.js";
import { openWorkerSession, type WorkerSession } from "../ort-direct.js";
import type { WorkerReply, WorkerRequest, WorkerStart } from "./worker-messages.js";

const init = workerData as WorkerStart;
const port = parentPort!;
const sessions = new Map<string, WorkerSession>();
const retireFlag = new Int32Array(init.retire);

/**
 * The pool gave up on this thread (a run passed its deadline): stop, from JavaScript. Worker#terminate
 * cannot be used for this: it lands while onnxruntime's native run still holds the thread, and when the
 * run returns the binding's conversion of the results throws a C++ exception that aborts the whole
 * process ("terminate called after throwing an instance of 'Napi::Error'").
 */
function exitIfRetired(): void {
  if (Atomics.load(retireFlag, 0) === 1) process.exit(0);
}

async function start(): Promise<void> {
  try {
    for (const m of init.models) {
      sessions.set(m.id, await openWorkerSession(m.path, ortSessionOptions(init.intraOpThreads)));
    }
    port.postMessage({ type: "ready" } satisfies WorkerReply);
  } catch (e) {
    port.postMessage({ type: "init-error", message: errorLine(e) } satisfies WorkerReply);
  }
}

async function run(msg: Extract<WorkerRequest, { type: "run" }>): Promise<void> {
  exitIfRetired();
  try {
    const session = sessions.get(msg.model)!;
    const feeds = toOrtFeeds(ort.Tensor, msg.feeds);
    const t0 = performance.now();
    const result = await session.run(feeds);
    exitIfRetired();
    const computeMs = performance.now() - t0;
    const outputs: Record<string, Tensor> = {};
    const transfer: ArrayBuffer[] = [];
    for (const [name, t] of Object.entries(result)) {
      const out = fromOrtTensor(name, t);
      const data = out.data;
      outputs[name] = out;
      if (!Array.isArray(data) && data.buffer instanceof ArrayBuffer && !transfer.includes(data.buffer))
        transfer.push(data.buffer);
    }
    port.postMessage({ type: "result", job: msg.job, outputs, computeMs } satisfies WorkerReply, transfer);
  } catch (e) {
    port.postMessage({ type: "error", job: msg.job, message: errorLine(e) } satisfies WorkerReply);
  }
}

let current: Promise<void> = Promise.resolve();

port.on("message", (msg: WorkerRequest) => {
  // One job at a time, in order: a queued job's compute time starts when the previous one ends.
  if (msg.type === "run") current = current.then(() => run(msg));
  else if (msg.type === "retire") current = current.then(exitIfRetired);
  else if (msg.type === "close") {
    // Release only after the job in hand has answered.
    void current
      .then(() => Promise.all([...sessions.values()].map((s) => s.release())))
      .finally(() => port.close());
  }
});

void start();
