// Helper of bench-harness.mjs: a bare `await session.run()` loop in its own process, started at an
// agreed wall-clock time so that several copies overlap exactly. Prints the number of calls made.
// Usage: node scripts/bench-harness-loop.mjs MODEL BATCH WIDTH START_EPOCH_MS DURATION_MS
import ort from "onnxruntime-node";

const [model, batch, width, start, duration] = process.argv.slice(2);
const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
const feeds = {
  input: new ort.Tensor("float32", new Float32Array(Number(batch) * Number(width)).fill(0.5), [
    Number(batch),
    Number(width),
  ]),
};
for (let i = 0; i < 200; i++) await session.run(feeds);
while (Date.now() < Number(start)) await new Promise((r) => setTimeout(r, 1));
const end = Number(start) + Number(duration);
let calls = 0;
while (Date.now() < end) {
  await session.run(feeds);
  calls++;
}
process.stdout.write(`${calls}\n`);
