import v8 from "node:v8";
import { describe, expect, it } from "vitest";
import { HEAP_RESERVE_BYTES, holdHeapReserve } from "./heap-reserve.js";

/** Bytes in V8's spaces for large objects, young and old (the block starts young, then is promoted). */
const largeObjects = () =>
  v8
    .getHeapSpaceStatistics()
    .filter((s) => s.space_name.endsWith("large_object_space"))
    .reduce((n, s) => n + s.space_used_size, 0);

describe("holdHeapReserve", () => {
  it("holds one block of heap, once per process, without a second copy left behind", () => {
    const before = largeObjects();
    expect(holdHeapReserve()).toBe(HEAP_RESERVE_BYTES);
    const grown = largeObjects() - before;
    expect(grown).toBeGreaterThanOrEqual(HEAP_RESERVE_BYTES);
    // Filled with doubles, the array was allocated twice (tagged slots, then doubles): 32 MiB.
    expect(grown).toBeLessThan(HEAP_RESERVE_BYTES * 1.5);
    const after = largeObjects();
    expect(holdHeapReserve()).toBe(HEAP_RESERVE_BYTES);
    expect(largeObjects() - after).toBeLessThan(HEAP_RESERVE_BYTES / 2);
  });
});
