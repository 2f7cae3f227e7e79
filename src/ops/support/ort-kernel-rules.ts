/**
 * Attribute values onnxruntime's CPU kernels refuse when the session is created. The kernel table
 * (ort-cpu.json) says which (op, version, types) have a kernel; these rows say which attribute values
 * its constructor then throws on. They come from the runtime's kernel constructors (the error text is
 * quoted with each row) and are not probed: test/ort-agreement.test.ts, which creates real sessions
 * for the ONNX backend suite, is what catches a row going stale or one going missing.
 */
import type { AttributeValue, SupportCaveat } from "./types.js";

export interface KernelAttributeRule {
  /** Normalized domain: "" for ai.onnx. */
  domain: string;
  ops: readonly string[];
  /** The attribute the restriction is about (named in messages). */
  attribute: string;
  /** Values of `attribute` the kernel refuses; a node without the attribute gets its default. */
  forbidden?: readonly AttributeValue[];
  /** For restrictions that depend on several attributes: true when the node's attributes hit it. */
  when?: (attrs: Readonly<Record<string, AttributeValue>>) => boolean;
  /** "error": the constructor always throws; "warning": it throws on some hosts only. */
  severity: "error" | "warning";
  /** Follows "<runtime>: <domain>::<op>-<version> " in messages. */
  reason: string | ((attrs: Readonly<Record<string, AttributeValue>>) => string);
  hint: string;
}

/** onnxruntime's default StringNormalizer locale outside Windows and Apple platforms. */
const DEFAULT_LOCALE = "en_US.UTF-8";
/** Locales every glibc host has. */
const BUILT_IN_LOCALES = new Set(["C", "POSIX", "C.UTF-8", "C.utf8"]);
const localeOf = (a: Readonly<Record<string, AttributeValue>>): string =>
  typeof a.locale === "string" ? a.locale : DEFAULT_LOCALE;

export const ORT_KERNEL_RULES: readonly KernelAttributeRule[] = [
  {
    // rnn.h / deep_cpu_gru.h / lstm_base.h: "layout_ == 0 was false. Batchwise recurrent operations
    // (layout == 1) are not supported."
    domain: "",
    ops: ["RNN", "GRU", "LSTM"],
    attribute: "layout",
    forbidden: [1],
    severity: "error",
    reason: "refuses layout = 1: its kernel does not support batchwise recurrent operations",
    hint:
      "export with layout = 0 (sequence-major: X is [seq_length, batch_size, input_size]); with " +
      "batch-first data, transpose X (and the initial states) before the node and Y after it",
  },
  {
    // string_normalizer.cc: "Failed to construct locale with name:en_US.UTF-8 ... Please, install
    // necessary language-pack-XX and configure locales". The constructor builds the locale when it
    // changes case or compares stopwords case-insensitively (is_case_sensitive defaults to 0).
    domain: "",
    ops: ["StringNormalizer"],
    attribute: "locale",
    when: (a) => {
      const caseChange = a.case_change_action === "LOWER" || a.case_change_action === "UPPER";
      const foldsStopwords =
        a.is_case_sensitive !== 1 && Array.isArray(a.stopwords) && a.stopwords.length > 0;
      return (caseChange || foldsStopwords) && !BUILT_IN_LOCALES.has(localeOf(a));
    },
    severity: "warning",
    reason: (a) =>
      `needs the locale "${localeOf(a)}" installed on the host: its kernel builds the locale when the ` +
      `session is created, which fails where it is missing (minimal container images have no locales)`,
    hint:
      `install the locale on every host that runs the model (Debian/Ubuntu: apt-get install locales, ` +
      `then locale-gen ${DEFAULT_LOCALE}), or set the node's locale attribute to "C" when ASCII case ` +
      `folding is enough`,
  },
];

const sameValue = (a: AttributeValue, b: AttributeValue): boolean =>
  Array.isArray(a) || Array.isArray(b) ? JSON.stringify(a) === JSON.stringify(b) : a === b;

export interface KernelRuleHit {
  severity: "error" | "warning";
  caveat: SupportCaveat;
}

/** The rows a node with these attributes hits, errors first. */
export function kernelRuleHits(
  rules: readonly KernelAttributeRule[],
  domain: string,
  opType: string,
  attrs: Readonly<Record<string, AttributeValue>>,
): KernelRuleHit[] {
  const hits: KernelRuleHit[] = [];
  for (const rule of rules) {
    if (rule.domain !== domain || !rule.ops.includes(opType)) continue;
    const value = attrs[rule.attribute];
    const forbidden =
      rule.forbidden !== undefined && value !== undefined && rule.forbidden.some((f) => sameValue(f, value));
    if (!forbidden && !(rule.when?.(attrs) ?? false)) continue;
    const reason = typeof rule.reason === "function" ? rule.reason(attrs) : rule.reason;
    hits.push({ severity: rule.severity, caveat: { reason, hint: rule.hint } });
  }
  return hits.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1));
}
