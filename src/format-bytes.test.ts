import { describe, expect, it } from "vitest";
import { formatBytes } from "./format-bytes.js";

describe("formatBytes", () => {
  it("prints bytes below 1 KiB and binary units with one decimal above", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1024)).toBe("1.0 KiB");
    expect(formatBytes(69_529)).toBe("67.9 KiB");
    expect(formatBytes(4 * 2 ** 20)).toBe("4.0 MiB");
    expect(formatBytes(59_460_000)).toBe("56.7 MiB");
    expect(formatBytes(2.5 * 2 ** 30)).toBe("2.5 GiB");
    expect(formatBytes(3 * 2 ** 40)).toBe("3.0 TiB");
    expect(formatBytes(2 ** 60)).toBe("1048576.0 TiB");
  });
});
