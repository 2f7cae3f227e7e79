import { describe, expect, it } from "vitest";
import { mergeGroups, reshapedPerm } from "./reshape-layout.js";

describe("reshape-layout", () => {
  it("groups consecutive axes whose product is each output dim", () => {
    expect(mergeGroups([null, 8, 4, 4], [null, 8, 16])).toEqual([[0], [1], [2, 3]]);
    expect(mergeGroups([null, 64, 1, 1], [null, 64])).toEqual([[0], [1, 2, 3]]);
    expect(mergeGroups([2, 6], [2, 2, 3])).toBeUndefined(); // a split, not a merge
    expect(mergeGroups([null, 8, 4], [null, 4, 8])).toBeUndefined();
    expect(mergeGroups([4, null], [null, 4])).toBeUndefined();
  });

  it("keeps a group's stored axes contiguous and in order, or gives up", () => {
    // NHWC storage of [N, C, H, W]: merging H and W keeps them together -> stored [N, HW, C].
    expect(reshapedPerm([null, 8, 4, 4], [0, 2, 3, 1], [[0], [1], [2, 3]])).toEqual([0, 2, 1]);
    // Merging C with H is not contiguous in NHWC.
    expect(reshapedPerm([null, 8, 4, 4], [0, 2, 3, 1], [[0], [1, 2], [3]])).toBeUndefined();
    // Unit axes are free: [N, 64, 1, 1] -> [N, 64].
    expect(reshapedPerm([null, 64, 1, 1], [0, 2, 3, 1], [[0], [1, 2, 3]])).toEqual([0, 1]);
  });
});
