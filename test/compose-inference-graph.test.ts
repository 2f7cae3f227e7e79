/** KServe InferenceGraph (Sequence) generation, validated against the vendored CRD schema. */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  inferenceGraphSchema,
  inferenceGraphYaml,
  makeInferenceGraph,
  validateInferenceGraph,
} from "../src/artifacts/kubernetes/inference-graph.js";

describe("InferenceGraph", () => {
  it("writes a Sequence whose steps pass the request, then each response, along", () => {
    const g = parse(
      inferenceGraphYaml({ name: "ocr", namespace: "ml", services: ["det", "cls"], timeoutSeconds: 30 }),
    );
    expect(g).toEqual({
      apiVersion: "serving.kserve.io/v1alpha1",
      kind: "InferenceGraph",
      metadata: { name: "ocr", namespace: "ml" },
      spec: {
        timeout: 30,
        nodes: {
          root: {
            routerType: "Sequence",
            steps: [
              { name: "det", serviceName: "det", data: "$request" },
              { name: "cls", serviceName: "cls", data: "$response" },
            ],
          },
        },
      },
    });
  });

  it("reads the CRD schema without Kubernetes extension keywords", () => {
    const text = JSON.stringify(inferenceGraphSchema());
    expect(text).not.toMatch(/x-kubernetes-/);
    expect(text).toMatch(/"Sequence"/);
  });

  it("refuses objects the CRD refuses: wrong router type, unknown fields, wrong types, missing nodes", () => {
    const ok = makeInferenceGraph({ name: "p", services: ["a", "b"] });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form edits of a JSON object
    const bad = (f: (g: any) => void) => {
      const g = structuredClone(ok);
      f(g);
      return () => validateInferenceGraph(g);
    };
    expect(bad((g) => (g.spec.nodes.root.routerType = "Pipeline"))).toThrow(
      /routerType: must be equal to one of the allowed values/,
    );
    expect(bad((g) => (g.spec.nodes.root.steps[0].servicename = "a"))).toThrow(/unknown field "servicename"/);
    expect(bad((g) => (g.spec.timeout = "30s"))).toThrow(/\/spec\/timeout: must be integer/);
    expect(bad((g) => delete g.spec.nodes)).toThrow(/must have required property 'nodes'/);
    expect(bad((g) => (g.spec.nodes.root.steps[0].dependency = "Strong"))).toThrow(/dependency/);
  });

  it("refuses names Kubernetes would refuse", () => {
    expect(() => makeInferenceGraph({ name: "My_Pipeline", services: ["a"] })).toThrow(
      /not a valid Kubernetes name/,
    );
    expect(() => makeInferenceGraph({ name: "p", services: [] })).toThrow(/at least one service/);
  });
});
