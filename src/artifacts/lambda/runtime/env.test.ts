import { describe, expect, it } from "vitest";
import { intraOpThreadsFromEnv, intraOpThreadsSetting, MAX_INTRA_OP_THREADS } from "./env.js";

describe("MLPACK_INTRA_OP_THREADS", () => {
  const of = (v: string | undefined) => intraOpThreadsSetting({ MLPACK_INTRA_OP_THREADS: v }, 2);
  it("unset or empty: the built-in value, no log", () => {
    expect(of(undefined)).toEqual({ threads: 2 });
    expect(of(" ")).toEqual({ threads: 2 });
  });
  it("a whole number in range is used", () => {
    expect(of("4")).toEqual({ threads: 4 });
    expect(of(" 1 ")).toEqual({ threads: 1 });
  });
  it.each(["abc", "-1", "1.5", "1e9", "0x10", "Infinity", "NaN"])("%s falls back with a log line", (v) => {
    const s = of(v);
    expect(s.threads).toBe(2);
    expect(s.warning).toMatch(/^mlpack: MLPACK_INTRA_OP_THREADS=".*" is not a whole number of threads/);
  });
  it("0 is refused, a huge count is clamped", () => {
    expect(of("0")).toMatchObject({ threads: 2, warning: expect.stringMatching(/must be at least 1/) });
    expect(of("1000000000")).toMatchObject({ threads: MAX_INTRA_OP_THREADS });
    expect(of("9".repeat(400)).warning!.length).toBeLessThan(200);
  });
  it("logs exactly one line through the given logger", () => {
    const lines: string[] = [];
    expect(intraOpThreadsFromEnv({ MLPACK_INTRA_OP_THREADS: "abc" }, 3, (l) => lines.push(l))).toBe(3);
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/\n/);
  });
});
