// Worker thread entry for loadInWorker (serve-bench.mjs): one runLoad, its result posted back.
import { parentPort, workerData } from "node:worker_threads";
import { runLoad } from "../../dist/serve/load-generator.js";

const { bodies, ...opts } = workerData;
parentPort.postMessage(await runLoad({ ...opts, bodies: bodies.map((b) => Buffer.from(b)) }));
