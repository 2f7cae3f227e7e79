// Child process for the agreement test: creates an onnxruntime-node session for each file it is sent
// and reports null (created) or the first line of the error.
import ort from "onnxruntime-node";

process.on("message", async (files) => {
  for (const file of files) {
    let error = null;
    try {
      const s = await ort.InferenceSession.create(file, {
        graphOptimizationLevel: "all",
        intraOpNumThreads: 1,
        logSeverityLevel: 4,
      });
      await s.release();
    } catch (e) {
      error = String(e?.message ?? e).split("\n")[0];
    }
    process.send({ file, error });
  }
  process.disconnect();
});
