import { describe, expect, it } from "vitest";
import { coalescingLines } from "./line-writer.js";

describe("coalescingLines", () => {
  it("writes lines together after the delay, at once when many wait, and on flush", async () => {
    const writes: string[] = [];
    const lines = coalescingLines((s) => writes.push(s), { delayMs: 10, maxPending: 3 });
    lines.add("a");
    lines.add("b");
    expect(writes).toEqual([]);
    await new Promise((r) => setTimeout(r, 30));
    expect(writes).toEqual(["a\nb"]);
    lines.add("c");
    lines.add("d");
    lines.add("e");
    expect(writes).toEqual(["a\nb", "c\nd\ne"]);
    lines.add("f");
    lines.flush();
    lines.flush();
    expect(writes).toEqual(["a\nb", "c\nd\ne", "f"]);
  });
});
