import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { writeModel } from "./write.js";
import { readModel, readTensor } from "./read.js";
import { encodeModelProto, create, StringStringEntryProtoSchema, type ModelProto } from "./proto.js";
import { makeMlp } from "./fixtures.js";
import { tempDir } from "../../test/helpers/tmp.js";
import { runInProcess } from "../../test/helpers/cli.js";

const root = tempDir("mlpack-extdata-");
let n = 0;

/** A model dir whose first weight lives in external data; `edit` rewrites that tensor's entries. */
async function setup(edit: (entries: Record<string, string>, dir: string) => void): Promise<string> {
  const dir = path.join(root, `case${n++}`);
  fs.mkdirSync(dir);
  const m = makeMlp({ widths: [32, 32, 4] });
  await writeModel(m, path.join(dir, "model.onnx"), { externalData: "always", sizeThreshold: 1024 });
  const bytes = fs.readFileSync(path.join(dir, "model.onnx"));
  const proto = (await import("./proto.js")).decodeModelProto(bytes);
  const t = proto.graph!.initializer.find((x) => x.externalData.length > 0)!;
  const entries = Object.fromEntries(t.externalData.map((e) => [e.key, e.value]));
  edit(entries, dir);
  t.externalData = Object.entries(entries).map(([key, value]) =>
    create(StringStringEntryProtoSchema, { key, value }),
  );
  fs.writeFileSync(path.join(dir, "model.onnx"), encodeModelProto(proto as ModelProto));
  return path.join(dir, "model.onnx");
}

async function expectRefused(model: string, message: RegExp): Promise<void> {
  await expect(readModel(model)).rejects.toThrow(message);
  for (const cmd of ["inspect", "validate"]) {
    const r = await runInProcess([cmd, model]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/tensor "fc0\.weight"/);
    expect(r.stderr).toMatch(/hint: /);
  }
}

describe("external data: loading", () => {
  it("loads a model with external data and verifies a correct checksum", async () => {
    const model = await setup((e, dir) => {
      e.checksum = createHash("sha1")
        .update(fs.readFileSync(path.join(dir, e.location)))
        .digest("hex");
    });
    const m = await readModel(model);
    const t = m.proto.graph!.initializer[0];
    expect((readTensor(m, t).data as Float32Array).length).toBe(32 * 32);
  });
});

describe("external data: ExternalDataSecurity.md attacks are refused", () => {
  it('".." in the location', async () => {
    const model = await setup((e, dir) => {
      fs.copyFileSync(path.join(dir, e.location), path.join(root, "outside.bin"));
      e.location = "../outside.bin";
    });
    await expectRefused(model, /location "\.\.\/outside\.bin" contains "\.\."/);
  });

  it("an absolute path", async () => {
    const model = await setup((e) => {
      e.location = "/etc/passwd";
    });
    await expectRefused(model, /location "\/etc\/passwd" is an absolute path/);
  });

  it("a symlink as the final component", async () => {
    const model = await setup((e, dir) => {
      fs.renameSync(path.join(dir, e.location), path.join(dir, "real.bin"));
      fs.symlinkSync("real.bin", path.join(dir, e.location));
    });
    await expectRefused(model, /is a symbolic link/);
  });

  it("a symlink in a parent directory", async () => {
    const model = await setup((e, dir) => {
      fs.mkdirSync(path.join(dir, "realdir"));
      fs.renameSync(path.join(dir, e.location), path.join(dir, "realdir", "w.bin"));
      fs.symlinkSync("realdir", path.join(dir, "linkdir"));
      e.location = "linkdir/w.bin";
    });
    await expectRefused(model, /goes through a symbolic link \("linkdir"\)/);
  });

  it("a hardlink", async () => {
    const model = await setup((e, dir) => {
      fs.linkSync(path.join(dir, e.location), path.join(dir, "second-name.bin"));
    });
    await expectRefused(model, /has 2 hard links/);
  });

  it("an unknown key", async () => {
    const model = await setup((e) => {
      e.__proto__evil = "1";
    });
    await expectRefused(model, /has unknown key "__proto__evil"/);
  });

  it("a negative offset", async () => {
    const model = await setup((e) => {
      e.offset = "-4096";
    });
    await expectRefused(model, /offset "-4096" is not a non-negative integer/);
  });

  it("a negative length", async () => {
    const model = await setup((e) => {
      e.length = "-1";
    });
    await expectRefused(model, /length "-1" is not a non-negative integer/);
  });

  it("an offset past the end of the file", async () => {
    const model = await setup((e) => {
      e.offset = "99999999";
    });
    await expectRefused(model, /offset 99999999 is past the end of "model\.onnx\.data"/);
  });

  it("a length past the end of the file (petabytes)", async () => {
    const model = await setup((e) => {
      e.length = String(2 ** 50);
    });
    await expectRefused(model, /range 0\+1125899906842624 runs past the end/);
  });

  it("a length that disagrees with the tensor's dims", async () => {
    const model = await setup((e) => {
      e.length = "16";
    });
    await expectRefused(model, /declares dims \[32,32\] of float \(4096 bytes\) but holds 16 bytes/);
  });

  it("a missing data file", async () => {
    const model = await setup((e) => {
      e.location = "missing.bin";
    });
    await expectRefused(model, /file "missing\.bin" was not found/);
  });

  it("a checksum that does not match: one policy, one message for every command", async () => {
    const model = await setup((e) => {
      e.checksum = "0".repeat(40);
    });
    const message = /has SHA-1 [0-9a-f]{40}, not the recorded 0{40}/;
    await expectRefused(model, message);
    const out = path.join(path.dirname(model), "out");
    for (const args of [
      ["convert", model, out, "--to", "tfjs"],
      ["serve", model, "--port", "0", "--host", "127.0.0.1"],
      ["quantize", model, "-o", path.join(out, "q.onnx")],
    ]) {
      const r = await runInProcess(args);
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toMatch(message);
    }
  });

  it("a missing location", async () => {
    const model = await setup((e) => {
      delete e.location;
    });
    await expectRefused(model, /has no "location"/);
  });
});
