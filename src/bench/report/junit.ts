/**
 * JUnit XML for CI test reporters: one test case per compared metric and configuration (a regression
 * is a failure; inconclusive is skipped unless --fail-on-inconclusive), or one passing case per
 * measurement when nothing was compared.
 */
import type { Comparison } from "../gate.js";
import type { BenchReport } from "../types.js";
import { fmtCi, fmtMs, fmtPct, fmtValue, gateSummary, fmtThreshold } from "./format.js";

export function xmlEscape(s: string): string {
  return s.replace(
    /[<>&"']/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!,
  );
}

export function renderJunit(report: BenchReport, comparison?: Comparison): string {
  const cases: string[] = [];
  let failures = 0;
  let skipped = 0;
  const secs = (ms: number) => (ms / 1000).toFixed(3);
  if (comparison) {
    for (const e of comparison.entries) {
      const name = `batch ${e.batch}, concurrency ${e.concurrency}: ${e.metric}`;
      const detail = `${e.metric} ${fmtValue(e, e.baseline)} → ${fmtValue(e, e.candidate)} (${fmtPct(e.ratio)}, 95% CI ${fmtCi(e.ci, fmtPct)}), threshold ±${fmtThreshold(comparison.threshold)}: ${e.verdict}`;
      const cls = `mlpack.bench.${comparison.candidate.label}`;
      const failing =
        e.gated &&
        !comparison.advisory &&
        (e.verdict === "regressed" || (e.verdict === "inconclusive" && comparison.failOnInconclusive));
      let body = `<system-out>${xmlEscape(detail)}</system-out>`;
      if (failing) {
        failures++;
        body = `<failure message="${xmlEscape(detail)}" type="${e.verdict}">${xmlEscape(detail)}</failure>`;
      } else if (e.verdict === "inconclusive" || !e.gated) {
        skipped++;
        body = `<skipped message="${xmlEscape((e.gated ? "" : "not gated: ") + detail)}"/>`;
      }
      cases.push(
        `    <testcase classname="${xmlEscape(cls)}" name="${xmlEscape(name)}" time="0">${body}</testcase>`,
      );
    }
  } else {
    for (const m of report.results) {
      const detail = `median ${fmtMs(m.latency.median.value)} ms, p95 ${fmtMs(m.latency.p95.value)} ms, ${m.latency.count} samples`;
      const wall = m.roundWallMs.reduce((a, b) => a + b, 0);
      cases.push(
        `    <testcase classname="mlpack.bench.${xmlEscape(m.model)}" name="batch ${m.batch}, concurrency ${m.concurrency}" time="${secs(wall)}"><system-out>${xmlEscape(detail)}</system-out></testcase>`,
      );
    }
  }
  const summary = comparison ? gateSummary(comparison) : "measured, nothing compared";
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="mlpack bench" tests="${cases.length}" failures="${failures}" skipped="${skipped}">`,
    `  <testsuite name="mlpack bench" tests="${cases.length}" failures="${failures}" skipped="${skipped}" errors="0">`,
    `    <properties><property name="summary" value="${xmlEscape(summary)}"/><property name="fingerprint" value="${xmlEscape(report.fingerprint.id)}"/><property name="onnxruntime" value="${xmlEscape(report.runtime.onnxruntime)}"/></properties>`,
    ...cases,
    `  </testsuite>`,
    `</testsuites>`,
    "",
  ].join("\n");
}
