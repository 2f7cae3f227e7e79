import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { writeModel } from "./write.js";
import { readModel, readTensor } from "./read.js";
import { encodeModelProto } from "./proto.js";
import { makeMlp } from "./fixtures.js";
import { isExternal } from "./tensor.js";
import { tempDir } from "../../test/helpers/tmp.js";

const dir = tempDir();

describe("writeModel", () => {
  it("writes an unchanged model byte-exactly", async () => {
    const m = makeMlp({ widths: [8, 16, 4] });
    const p = path.join(dir, "inline.onnx");
    const r = await writeModel(m, p);
    expect(fs.readFileSync(p)).toEqual(Buffer.from(encodeModelProto(m)));
    expect(r.dataPath).toBeUndefined();
    const back = await readModel(p);
    expect(encodeModelProto(back.proto)).toEqual(encodeModelProto(m));
  });

  it("moves large tensors to an aligned external data file and reads them back", async () => {
    const m = makeMlp({ widths: [64, 128, 8] });
    const before = encodeModelProto(m);
    const p = path.join(dir, "ext.onnx");
    const r = await writeModel(m, p, { externalData: "always", sizeThreshold: 1024 });
    // The caller's model is untouched.
    expect(encodeModelProto(m)).toEqual(before);
    expect(r.externalTensors).toBe(2); // the two weight matrices; biases stay inline
    expect(fs.existsSync(path.join(dir, "ext.onnx.data"))).toBe(true);
    const back = await readModel(p);
    const ext = back.proto.graph!.initializer.filter(isExternal);
    expect(ext.map((t) => t.name)).toEqual(["fc0.weight", "fc1.weight"]);
    for (const t of ext) expect(Number(t.externalData.find((e) => e.key === "offset")!.value) % 4096).toBe(0);
    expect(back.externalFiles).toEqual([{ location: "ext.onnx.data", bytes: r.dataBytes }]);
    const orig = m.graph!.initializer.map((t) => [...new Uint8Array(t.rawData)]);
    const reread = back.proto.graph!.initializer.map((t) => {
      const d = readTensor(back, t).data as Float32Array;
      return [...new Uint8Array(d.buffer, d.byteOffset, d.byteLength)];
    });
    expect(reread).toEqual(orig);
  });

  it("externalizes automatically when the model would pass the protobuf limit", async () => {
    const m = makeMlp({ widths: [64, 128, 8] });
    const r = await writeModel(m, path.join(dir, "auto.onnx"), { maxProtoBytes: 16 * 1024 });
    expect(r.externalTensors).toBe(2);
    expect(r.modelBytes).toBeLessThan(16 * 1024);
  });

  it("re-saves an external-data model inline ('never') and into a new place", async () => {
    const src = await readModel(path.join(dir, "ext.onnx"));
    const out = path.join(dir, "sub");
    fs.mkdirSync(out);
    const r = await writeModel(src.proto, path.join(out, "inline.onnx"), {
      externalData: "never",
      source: (t) => src.external!.read(t),
    });
    expect(r.externalTensors).toBe(0);
    const back = await readModel(path.join(out, "inline.onnx"));
    expect(back.proto.graph!.initializer.some(isExternal)).toBe(false);
    expect(encodeModelProto(back.proto)).toEqual(encodeModelProto(makeMlp({ widths: [64, 128, 8] })));
    // And the source model object still points at its external file.
    expect(src.proto.graph!.initializer.filter(isExternal).length).toBe(2);
  });

  it("leaves nothing behind when a write fails", async () => {
    const m = makeMlp({ widths: [64, 128, 8] });
    const p = path.join(dir, "fail.onnx");
    await expect(writeModel(m, p, { externalData: "never", maxProtoBytes: 1000 })).rejects.toThrow(
      /over the 1000-byte protobuf limit/,
    );
    expect(fs.readdirSync(dir).filter((f) => f.startsWith("fail.onnx"))).toEqual([]);
  });
});
