/** What to do next about nodes the converter refused, from the kinds of reasons they give. */
import type { UnsupportedNode } from "./convert-graph.js";

export function conversionHint(
  nodes: readonly UnsupportedNode[],
  symbolicInputs: boolean,
  writing = true,
): string {
  const parts = writing ? ["nothing was written"] : [];
  const has = (re: RegExp) => nodes.some((n) => re.test(n.reason));
  // --shape only helps when an input really has a symbolic dim; a static model with a shape problem
  // (inputs that do not broadcast, ...) needs the ONNX model changed instead.
  if (symbolicInputs && has(/static|unknown/))
    parts.push("give inputs with symbolic dims concrete sizes with --shape NAME=1,3,224,224");
  if (has(/do not broadcast/))
    parts.push("the shapes named above do not broadcast under ONNX rules; fix the shapes in the ONNX model");
  if (has(/must be a constant/))
    parts.push("constant-fold the model first (shape arithmetic, axes and pads computed at run time)");
  if (has(/no TF\.js mapping|domain/))
    parts.push(
      "replace the unsupported ops in the ONNX model, or register a custom op with tf.registerOp() and edit model.json",
    );
  if (has(/type TF\.js|no TF\.js type|TF\.js has no dtype/))
    parts.push("cast to float32, int32 or bool in the ONNX model");
  if (parts.length === (writing ? 1 : 0))
    parts.push("change these nodes in the ONNX model (see the reasons above)");
  return parts.join("; ");
}
