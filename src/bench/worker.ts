/**
 * A bench worker thread: one onnxruntime session per model, runs the blocks it is sent. onnxruntime-node's
 * run() blocks its thread, so concurrency needs one thread per in-flight inference.
 */
import { parentPort, workerData } from "node:worker_threads";
import type ort from "onnxruntime-node";
import { isMlpackError } from "../errors.js";
import { runBlock } from "./executor.js";
import { createSession, inferenceError, toFeeds, type SessionConfig } from "./session.js";
import type { WorkerReply, WorkerRequest } from "./executor-pool.js";

const port = parentPort!;
const { models, session: cfg } = workerData as { models: string[]; session: SessionConfig };
const sessions: ort.InferenceSession[] = [];
let feeds: Record<string, ort.Tensor>[] = [];

const reply = (m: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
const fail = (e: unknown) =>
  reply({
    type: "error",
    message: (e as Error)?.message ?? String(e),
    hint: isMlpackError(e) ? e.hint : undefined,
    exitCode: isMlpackError(e) ? e.exitCode : undefined,
  });

async function start(): Promise<void> {
  const createMs: number[] = [];
  for (const m of models) {
    const s = await createSession(m, cfg);
    sessions.push(s.session);
    createMs.push(s.createMs);
  }
  reply({ type: "ready", createMs });
}

port.on("message", (msg: WorkerRequest) => {
  void (async () => {
    try {
      if (msg.type === "feeds") {
        feeds = msg.feeds.map((f) => toFeeds(f));
        reply({ type: "ok" });
      } else if (msg.type === "run") {
        let r;
        try {
          r = await runBlock(sessions[msg.model], feeds[msg.model], msg.spec);
        } catch (e) {
          throw inferenceError(e, models[msg.model]);
        }
        reply({ type: "done", latMs: r.latMs, startNs: r.startNs, endNs: r.endNs }, [
          r.latMs.buffer as ArrayBuffer,
        ]);
      } else if (msg.type === "close") {
        for (const s of sessions) await s.release();
        reply({ type: "ok" });
        port.close();
      }
    } catch (e) {
      fail(e);
    }
  })();
});

start().catch(fail);
