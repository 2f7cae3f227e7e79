/**
 * Threads that keep the process from exiting. A worker thread inside a native call (onnxruntime's
 * session.run cannot be interrupted) ignores Worker#terminate until the call returns, and Node's
 * process.exit waits for every thread: with one stuck, exit would hang forever. The library counts such
 * threads here; cli/main.ts, the only module that exits, ends the process with SIGKILL when any remain.
 */
let blockers = 0;

export const exitBlockers = {
  add(): void {
    blockers++;
  },
  remove(): void {
    blockers = Math.max(0, blockers - 1);
  },
  get count(): number {
    return blockers;
  },
};
