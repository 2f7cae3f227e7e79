import { describe, expect, it } from "vitest";
import { renderTemplate } from "./render.js";

describe("renderTemplate", () => {
  it("fills placeholders", () => {
    expect(renderTemplate("a {{x}} b {{ y }}", { x: "1", y: "2" })).toBe("a 1 b 2");
  });
  it("fails on a missing value and on an unused value", () => {
    expect(() => renderTemplate("{{x}} {{y}}", { x: "1" }, "t")).toThrow("t: no value for placeholder(s) y");
    expect(() => renderTemplate("{{x}}", { x: "1", z: "2" }, "t")).toThrow(
      "t: value(s) z match no placeholder",
    );
  });
});
