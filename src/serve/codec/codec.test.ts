/** The fast data path: the byte scanner agrees with JSON.parse, float32 text round-trips exactly. */
import { describe, expect, it } from "vitest";
import {
  JsonDepthError,
  JsonSizeError,
  JsonSyntaxError,
  MAX_CONTAINERS,
  NestedNumbers,
  parseJsonBytes,
} from "./json-scan.js";
import { float32ArrayJson, float32ArrayJsonBytes, float32Text } from "./f32-text.js";
import { parseInferRequest, encodeInferResponse } from "../protocol.js";
import { seededRandom } from "../../onnx/random.js";

const bytes = (s: string) => Buffer.from(s, "utf8");
/** Nested numbers read flat, back into nested arrays (rectangular ones only). */
const renest = (n: NestedNumbers): unknown => {
  if (!n.rectangular) throw new Error("ragged");
  let i = 0;
  const build = (d: number): unknown =>
    d === n.shape.length - 1
      ? Array.from(n.values.subarray(i, (i += n.shape[d])))
      : Array.from({ length: n.shape[d] }, () => build(d + 1));
  return build(0);
};
/** Typed arrays from the scanner back to plain arrays, to compare with JSON.parse. */
const plain = (v: unknown): unknown =>
  v instanceof Float64Array || v instanceof Float32Array
    ? Array.from(v)
    : v instanceof NestedNumbers
      ? renest(v)
      : Array.isArray(v)
        ? v.map(plain)
        : v !== null && typeof v === "object"
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]))
          : v;
const same = (text: string) => expect(plain(parseJsonBytes(bytes(text), 40))).toStrictEqual(JSON.parse(text));

describe("parseJsonBytes", () => {
  it("gives what JSON.parse gives", () => {
    for (const t of [
      '{"a":1,"b":[true,false,null],"c":"x\\"y\\u00e9\\n","d":{"e":[]},"f":-0.5e-3}',
      ' { "data" : [ 1 , -2.5 , 3e2 , 0 , -0 ] , "shape":[2,3] } ',
      '{"data":[[1,2],[3,4]],"x":{"data":["a","b"]},"y":{"data":[1,"b"]}}',
      '{"data":[],"k":"é✓ 😀","dup":1,"dup":2,"__proto__":{"z":1}}',
      '{"data":[1e400,-1e400,4.9e-324,2.2250738585072014e-308,123456789012345678901234567890,0.1000000014901161193847656250]}',
      "[1, 2.0, 1E+2, 1e-2, 0.000001, 17976931348623157e292]",
      '{"data":[0,-0,0.5,-0.0,10,100.25, 7 ,8\n,\t9,123456789012345,1234567890123456,0.000000000000001234]}',
      '{"data":[-1,-10.5,99999999999999.9,0.1,0.30000001192092896,5e-324]}',
      '"just a string"',
      "12.5",
      "null",
    ])
      same(t);
  });

  it("reads random numbers bit for bit as JSON.parse does", () => {
    const rand = seededRandom(11);
    const texts: string[] = [];
    const u = new Uint32Array(2);
    const f64 = new Float64Array(u.buffer);
    for (let i = 0; i < 20_000; i++) {
      u[0] = (rand() * 2 ** 32) >>> 0;
      u[1] = (rand() * 2 ** 32) >>> 0;
      if (Number.isFinite(f64[0])) texts.push(String(f64[0]));
      const int = Math.floor(rand() * 1e9);
      const frac = Math.floor(rand() * 1e12);
      texts.push(`${rand() < 0.5 ? "-" : ""}${int}.${frac}e${Math.floor(rand() * 60 - 30)}`);
      texts.push(String(Math.fround(rand() * 2 - 1)));
      texts.push((rand() * 100).toFixed(Math.floor(rand() * 20)));
    }
    const text = `{"data":[${texts.join(",")}]}`;
    const got = parseJsonBytes(bytes(text), 40) as { data: Float64Array };
    const want = JSON.parse(text) as { data: number[] };
    expect(got.data).toBeInstanceOf(Float64Array);
    expect(got.data.length).toBe(want.data.length);
    for (let i = 0; i < want.data.length; i++)
      if (!Object.is(got.data[i], want.data[i]))
        expect([texts[i], got.data[i]]).toEqual([texts[i], want.data[i]]);
  });

  it("reads an FP32 tensor's data (datatype first) straight into a Float32Array, nested or flat", () => {
    const text = (d: string) => `{"datatype":"FP32","shape":[2,2],"data":${d}}`;
    const flat = parseJsonBytes(bytes(text("[0.1,-0,3e38,1e-46]")), 40) as { data: unknown };
    expect(flat.data).toBeInstanceOf(Float32Array);
    expect(Array.from(flat.data as Float32Array)).toEqual([0.1, -0, 3e38, 1e-46].map(Math.fround));
    expect(Object.is((flat.data as Float32Array)[1], -0)).toBe(true);
    const nested = parseJsonBytes(bytes(text("[[1.5,2],[3,4.1]]")), 40) as { data: NestedNumbers };
    expect(nested.data.values).toEqual(new Float32Array([1.5, 2, 3, 4.1]));
    expect(nested.data.shape).toEqual([2, 2]);
    // Data before its datatype, or under another datatype, stays exact (Float64Array).
    const after = parseJsonBytes(bytes('{"data":[0.1],"datatype":"FP32"}'), 40) as { data: unknown };
    expect(after.data).toEqual(new Float64Array([0.1]));
    const fp64 = parseJsonBytes(bytes('{"datatype":"FP64","data":[0.1]}'), 40) as { data: unknown };
    expect(fp64.data).toEqual(new Float64Array([0.1]));
    // A number outside a typed array is JSON.parse's double, never float32 (a fuzzer found 1e-23
    // read as 9.999999998199587e-24 here).
    for (const d of ["1e-23", '[1e-23,""]', "[[0],1e-23]", "[1e-23,{}]", "0.1000000000000000001"]) {
      const t = `{"datatype":"FP32","data":${d}}`;
      expect(plain(parseJsonBytes(bytes(t), 40)), t).toEqual(JSON.parse(t));
    }
    // A later datatype makes only typed data be read again: linear, whatever nests inside (20 levels
    // of this took 585 ms and hit the container cap; 600,000 rows of strings were counted twice).
    let deep = "1";
    for (let i = 0; i < 30; i++) deep = `{"datatype":"FP32","data":${deep},"datatype":0}`;
    expect(plain(parseJsonBytes(bytes(deep), 40))).toEqual(JSON.parse(deep));
    const rows = `{"datatype":"FP32","data":[${'["a"],'.repeat(599_999)}["a"]],"datatype":"FP64"}`;
    expect((parseJsonBytes(bytes(rows), 40) as { data: unknown[] }).data).toHaveLength(600_000);
    // Not all numbers: the generic path, numbers as JSON.parse gives them (the decoder words the error).
    const mixed = parseJsonBytes(bytes('{"datatype":"FP32","data":[0.1,"x"]}'), 40) as { data: unknown };
    expect(mixed.data).toEqual([0.1, "x"]);
  });

  it("reads nested arrays of numbers flat, with their shape, and tells ragged ones", () => {
    const nested = (text: string) =>
      (parseJsonBytes(bytes(`{"data":${text}}`), 40) as { data: unknown }).data;
    const cases: [string, number[], boolean, number][] = [
      ["[[1,2],[3,4]]", [2, 2], true, 2],
      [" [ [ 1 , 2 ] ,\n[ 3 ,4 ] ] ", [2, 2], true, 2],
      ["[[[1],[2]],[[3],[4]]]", [2, 2, 1], true, 3],
      ["[[],[]]", [2, 0], true, 2],
      ["[[ ]]", [1, 0], true, 2],
      ["[[1,2],[3]]", [2, 2], false, 2],
      ["[[1],[[2]]]", [2, 1, 1], false, 3],
      ["[[[1,2]],[[3,4],[5,6]]]", [2, 1, 2], false, 3],
    ];
    for (const [text, shape, rectangular, levels] of cases) {
      const got = nested(text) as NestedNumbers;
      expect(got, text).toBeInstanceOf(NestedNumbers);
      expect([got.shape, got.rectangular, got.levels], text).toEqual([shape, rectangular, levels]);
      expect(Array.from(got.values), text).toEqual((JSON.parse(text) as unknown[]).flat(Infinity));
    }
    // Anything but numbers and arrays, or a number beside an array: the generic path, as JSON.parse.
    for (const text of ['[[1],"x"]', "[[1],2]", "[[1],[true]]", '[[1],{"a":1}]', "[[1],[null]]"])
      expect(plain(nested(text)), text).toEqual(JSON.parse(text));
    for (const text of ["[[1],]", "[[1] [2]]", "[[1],[2]", "[[1,]]", "[[1],[2]]]"])
      expect(() => parseJsonBytes(bytes(`{"data":${text}}`), 40), text).toThrow(JsonSyntaxError);
    expect(() => parseJsonBytes(bytes(`{"data":${"[".repeat(41)}1${"]".repeat(41)}}`), 40)).toThrow(
      JsonDepthError,
    );
    // Random rectangular tensors, random whitespace: the same numbers as JSON.parse, in order.
    const rand = seededRandom(5);
    for (let t = 0; t < 200; t++) {
      const shape = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => 1 + Math.floor(rand() * 4));
      const sp = () => [" ", "", "\n", "\t "][Math.floor(rand() * 4)];
      const build = (d: number): string =>
        `[${sp()}${Array.from({ length: shape[d] }, () =>
          d === shape.length - 1 ? String(Math.round((rand() - 0.5) * 1e6) / 1e3) : build(d + 1),
        ).join(`${sp()},${sp()}`)}${sp()}]`;
      const text = build(0);
      const got = nested(text);
      const want = shape.length === 1 ? JSON.parse(text) : (JSON.parse(text) as unknown[]).flat(Infinity);
      if (shape.length === 1) expect(Array.from(got as Float64Array)).toEqual(want);
      else {
        expect((got as NestedNumbers).shape, text).toEqual(shape);
        expect(Array.from((got as NestedNumbers).values), text).toEqual(want);
      }
    }
  });

  it("bounds what a body builds: nested empty arrays cost nothing, other containers are capped", () => {
    const heap0 = process.memoryUsage().heapUsed;
    // 16 MB of "[]," under "data": no array per row (this built ~5.6M JS arrays, hundreds of MB).
    const empties = `{"data":[${"[],".repeat(5_000_000)}[]]}`;
    const got = parseJsonBytes(bytes(empties), 40) as { data: NestedNumbers };
    expect(got.data.shape).toEqual([5_000_001, 0]);
    expect(process.memoryUsage().heapUsed - heap0).toBeLessThan(64 * 2 ** 20);
    // Elsewhere (or rows that are not numbers) each array and object is built: capped.
    const many = (item: string, n: number) => bytes(`{"x":[${`${item},`.repeat(n - 1)}${item}]}`);
    expect(() => parseJsonBytes(many("{}", MAX_CONTAINERS), 40)).toThrow(JsonSizeError);
    expect(() => parseJsonBytes(bytes(`{"data":[${'["a"],'.repeat(MAX_CONTAINERS)}["a"]]}`), 40)).toThrow(
      JsonSizeError,
    );
    expect((parseJsonBytes(many("{}", MAX_CONTAINERS - 2), 40) as { x: unknown[] }).x).toHaveLength(
      MAX_CONTAINERS - 2,
    );
  });

  it("refuses what JSON.parse refuses, naming the byte", () => {
    for (const t of [
      "{",
      "[1,]",
      '{"data":[1,]}',
      '{"data":[01]}',
      '{"data":[00]}',
      '{"data":[-01.5]}',
      '{"data":[0.]}',
      '{"data":[1,2.]}',
      '{"data":[1,-]}',
      '{"data":[1,,2]}',
      '{"data":[1.2.3]}',
      '{"data":[1-2]}',
      '{"data":[1.]}',
      '{"data":[-]}',
      '{"data":[.5]}',
      '{"data":[1 2]}',
      '{"data":[1e]}',
      '{"a":1,}',
      "nul",
      '{"a":1} x',
      '{"a":"\u0001"}',
      '{"a":"\\x"}',
      '{"a" 1}',
      "",
    ]) {
      expect(() => JSON.parse(t), t).toThrow();
      expect(() => parseJsonBytes(bytes(t), 40), t).toThrow(JsonSyntaxError);
    }
    expect(() => parseJsonBytes(bytes('{"data":[1,2,x]}'), 40)).toThrow(/at byte 13 \("x"\)/);
  });

  it("refuses nesting past the limit without recursing into it", () => {
    expect(() => parseJsonBytes(bytes("[".repeat(41) + "]".repeat(41)), 40)).toThrow(JsonDepthError);
    expect(() => parseJsonBytes(bytes("[".repeat(200_000)), 40)).toThrow(JsonDepthError);
    same("[".repeat(40) + "]".repeat(40));
  });
});

describe("float32Text", () => {
  it("round-trips every kind of float32 exactly: random bit patterns, subnormals, -0, extremes", () => {
    const rand = seededRandom(3);
    const u = new Uint32Array(1);
    const f = new Float32Array(u.buffer);
    const values: number[] = [
      0, -0, 1, -1, 0.1, 3.4028234663852886e38, -3.4028234663852886e38, 1.401298464324817e-45,
    ];
    values.push(1.1754942106924411e-38, 1.1754943508222875e-38, 16777216, 16777217, 1e-7, 123456.7890625);
    values.forEach((v, i) => (values[i] = Math.fround(v)));
    for (let i = 0; i < 200_000; i++) {
      u[0] = (rand() * 2 ** 32) >>> 0;
      values.push(f[0]);
      u[0] = (rand() * 2 ** 23) >>> 0; // subnormals
      values.push(rand() < 0.5 ? f[0] : -f[0]);
    }
    for (const v of values) {
      const s = float32Text(v);
      if (Number.isNaN(v) || !Number.isFinite(v)) {
        expect(s).toBe("null");
        continue;
      }
      const back = Math.fround(JSON.parse(s) as number);
      if (!Object.is(back, v)) expect([v, s]).toEqual([v, "round-trips"]);
      // At most 9 significant digits.
      expect(
        s
          .replace(/^-|e.*$|\./g, "")
          .replace(/^0+/, "")
          .replace(/0+$/, "").length,
      ).toBeLessThanOrEqual(9);
    }
  });

  it("is the shortest: no fewer digits would read back as the same float32", () => {
    const rand = seededRandom(4);
    for (let i = 0; i < 20_000; i++) {
      const v = Math.fround((rand() * 2 - 1) * 10 ** Math.floor(rand() * 20 - 10));
      const s = float32Text(v);
      const digits = s
        .replace(/^-|e.*$|\./g, "")
        .replace(/^0+/, "")
        .replace(/0+$/, "").length;
      if (digits > 1) expect(Math.fround(+v.toPrecision(digits - 1)), `${v} as ${s}`).not.toBe(v);
    }
  });

  it("writes NaN and ±Infinity as null, like the server always did", () => {
    expect(float32ArrayJson(new Float32Array([NaN, Infinity, -Infinity, -0, 0.5]))).toBe(
      "[null,null,null,-0,0.5]",
    );
    expect(float32ArrayJson(new Float32Array(0))).toBe("[]");
  });

  it("writes round decimals without trailing zeros (0.0001, not 0.00010)", () => {
    const d = new Float32Array([0.0001, 0.01, 1e-8, 0.00001, 100, 3e6, 0.1, 0.25, 1234.5]);
    const want = "[0.0001,0.01,0.00000001,0.00001,100,3000000,0.1,0.25,1234.5]";
    expect(float32ArrayJson(d)).toBe(want);
    expect(float32ArrayJsonBytes(d).toString("latin1")).toBe(want);
  });

  it("writes the same text as bytes, straight into a buffer", () => {
    const rand = seededRandom(5);
    const u = new Uint32Array(50_000).map(() => (rand() * 2 ** 32) >>> 0);
    const kinds = [
      new Float32Array(u.buffer),
      Float32Array.from({ length: 50_000 }, () => (rand() * 2 - 1) * 10 ** Math.floor(rand() * 30 - 15)),
      new Float32Array([NaN, Infinity, -Infinity, -0, 0, 0.5, 1e-13, -9.99e12, 1e13, 3.4e38, 1.4e-45, 100]),
      Float32Array.from({ length: 50_000 }, () => Math.round(rand() * 1e5) / 10 ** Math.floor(rand() * 9)),
      new Float32Array(0),
    ];
    for (const d of kinds) expect(float32ArrayJsonBytes(d).toString("latin1")).toBe(float32ArrayJson(d));
  });
});

describe("infer bodies on the fast path", () => {
  it("decodes flat and nested data into the datatype's storage, with the old checks", () => {
    // Written out, not JSON.stringify'd: that would write -0 as 0.
    const a = '{"name": "a", "datatype": "FP32", "shape": [2, 2], "data": [[0.1, -0], [3e38, 1e-45]]}';
    const r = parseInferRequest(
      bytes(
        JSON.stringify({
          inputs: [
            "A",
            { name: "b", datatype: "INT64", shape: [3], data: [1, -2, 9007199254740991] },
            { name: "c", datatype: "INT8", shape: [2], data: [-128, 127] },
            { name: "d", datatype: "BOOL", shape: [2], data: [true, false] },
            { name: "e", datatype: "FP16", shape: [1], data: [1.5] },
          ],
        }).replace('"A"', a),
      ),
    );
    expect(Array.from(r.inputs[0].data as Float32Array)).toEqual([0.1, -0, 3e38, 1e-45].map(Math.fround));
    expect(Object.is((r.inputs[0].data as Float32Array)[1], -0)).toBe(true);
    expect(r.inputs[1].data).toEqual(new BigInt64Array([1n, -2n, 9007199254740991n]));
    expect(r.inputs[2].data).toEqual(new Int8Array([-128, 127]));
    expect(r.inputs[3].data).toEqual(new Uint8Array([1, 0]));
    expect(r.inputs[4].data).toEqual(new Uint16Array([0x3e00]));
    const bad = (t: object) => () => parseInferRequest(bytes(JSON.stringify({ inputs: [t] })));
    expect(bad({ name: "x", datatype: "INT8", shape: [2], data: [1, 200] })).toThrow(
      /data\[1\] is 200, expected an integer in \[-128, 127\] for INT8/,
    );
    expect(bad({ name: "x", datatype: "INT32", shape: [1], data: [1.5] })).toThrow(/data\[0\] is 1.5/);
    expect(bad({ name: "x", datatype: "BOOL", shape: [1], data: [1] })).toThrow(/expected true or false/);
    expect(bad({ name: "x", datatype: "FP32", shape: [2], data: [1, "2"] })).toThrow(/data\[1\] is "2"/);
    expect(bad({ name: "x", datatype: "FP32", shape: [3], data: [[1, 2], [3]] })).not.toThrow();
    // Past the datatype's range a number would become Infinity, which JSON cannot mean: refused.
    const range = (datatype: string, text: string) => () =>
      parseInferRequest(
        bytes(`{"inputs":[{"name":"x","datatype":"${datatype}","shape":[2],"data":[1,${text}]}]}`),
      );
    for (const [datatype, text] of [
      ["FP32", "1e39"],
      ["FP32", "-3.5e38"],
      ["FP64", "1e400"],
      ["FP16", "65520"],
    ])
      expect(range(datatype, text), `${datatype} ${text}`).toThrow(
        new RegExp(`data\\[1\\] is beyond ${datatype}'s range`),
      );
    for (const [datatype, text] of [
      ["FP32", "3.4028235e38"],
      ["FP64", "1e308"],
      ["FP16", "65504"],
    ])
      expect(range(datatype, text), `${datatype} ${text}`).not.toThrow();
    // Nested, and the generic path (a datatype after data), alike.
    expect(() =>
      parseInferRequest(bytes('{"inputs":[{"name":"x","datatype":"FP32","shape":[2],"data":[[1],[1e39]]}]}')),
    ).toThrow(/beyond FP32's range/);
    expect(() =>
      parseInferRequest(bytes('{"inputs":[{"name":"x","data":[1,1e39],"shape":[2],"datatype":"FP32"}]}')),
    ).toThrow(/beyond FP32's range/);
    expect(bad({ name: "x", datatype: "FP32", shape: [4], data: [[1, 2], [3]] })).toThrow(
      /needs 4 values but "data" has 3/,
    );
    expect(() =>
      parseInferRequest(bytes('{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1,]}]}')),
    ).toThrow(/malformed JSON: expected a JSON value at byte/);
  });

  it("FP32 data of 16 to 20 digits (numpy's tolist) reads as JSON.parse and a Float32Array do", () => {
    const rand = seededRandom(12);
    const u = new Uint32Array(1);
    const f = new Float32Array(u.buffer);
    const texts: string[] = [];
    for (let i = 0; i < 40_000; i++) {
      u[0] = (rand() * 2 ** 32) >>> 0;
      if (!Number.isFinite(f[0])) continue;
      const v = f[0];
      texts.push(String(v)); // a float32 widened to a double: up to 17 digits, exponents included
      // The midpoint between v and the next float32 up, exactly and just either side, in 17-20 digits.
      u[0]++;
      const mid = (v + f[0]) / 2;
      for (const d of [17, 18, 19, 20]) {
        const t = mid.toPrecision(Math.min(d, 21));
        texts.push(
          t,
          t.replace(/(\d)(e|$)/, (_, x: string, e: string) => `${x}1${e}`),
        );
      }
    }
    const body = `{"inputs":[{"name":"x","datatype":"FP32","shape":[${texts.length}],"data":[${texts.join(",")}]}]}`;
    const got = parseInferRequest(bytes(body)).inputs[0].data as Float32Array;
    const want = Float32Array.from((JSON.parse(body) as { inputs: { data: number[] }[] }).inputs[0].data);
    for (let i = 0; i < texts.length; i++)
      if (!Object.is(got[i], want[i])) expect([texts[i], got[i]]).toEqual([texts[i], want[i]]);
  });

  it("data read before a later duplicate datatype key is read again exactly", () => {
    const text = "0.30000001192092896123";
    const body = `{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[${text}],"datatype":"FP64"}]}`;
    expect(parseInferRequest(bytes(body)).inputs[0].data).toEqual(new Float64Array([Number(text)]));
  });

  it("a float32 tensor goes out and comes back bit for bit", () => {
    const rand = seededRandom(8);
    const u = new Uint32Array(4096);
    for (let i = 0; i < u.length; i++) u[i] = (rand() * 2 ** 32) >>> 0;
    const f = new Float32Array(u.buffer).map((v) => (Number.isFinite(v) ? v : 0));
    const body = encodeInferResponse({
      modelName: "m",
      modelVersion: "1",
      outputs: [{ name: "y", datatype: "FP32", shape: [f.length], data: f }],
    }).body;
    const text = body.toString().replace('"outputs"', '"inputs"');
    const back = parseInferRequest(bytes(text)).inputs[0].data as Float32Array;
    expect(new Uint32Array(back.buffer)).toEqual(new Uint32Array(f.buffer));
  });
});
