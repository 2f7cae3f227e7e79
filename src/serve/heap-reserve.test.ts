import v8 from "node:v8";
import { describe, expect, it } from "vitest";
import { HEAP_RESERVE_BYTES, holdHeapReserve } from "./heap-reserve.js";

const largeObjects = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === "large_object_space")!;

describe("holdHeapReserve", () => {
  it("holds one block of old-generation heap, once per process", () => {
    const before = largeObjects().space_used_size;
    expect(holdHeapReserve()).toBe(HEAP_RESERVE_BYTES);
    const after = largeObjects().space_used_size;
    expect(after - before).toBeGreaterThanOrEqual(HEAP_RESERVE_BYTES);
    expect(holdHeapReserve()).toBe(HEAP_RESERVE_BYTES);
    expect(largeObjects().space_used_size - after).toBeLessThan(HEAP_RESERVE_BYTES / 2);
  });
});
