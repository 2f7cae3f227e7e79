/** The shapes compose works with: pieces (models or stages) joined by connections. */
import type { ModelProto } from "../onnx/proto.js";

/** One graph to merge: a model read from a file, or a generated pre/post-processing stage. */
export interface Piece {
  /** Short name used in --connect references and as the prefix of its internal names. */
  id: string;
  /** Where it came from, for messages ("a.onnx", "stage softmax"). */
  source: string;
  /** Every tensor inline (external data already read); compose owns and mutates it. */
  proto: ModelProto;
  /** A generated pre/post-processing stage (reading from a model through a stage does not make
   * the model's other outputs intermediate). */
  stage?: boolean;
}

/** A graph output or input of one piece: `piece.name`. */
export interface Endpoint {
  piece: string;
  name: string;
}

/** `from` (an output of one piece) feeds `to` (an input of another). */
export interface Connection {
  from: Endpoint;
  to: Endpoint;
}

export interface OutputPolicy {
  /**
   * true: every unconnected output of every piece stays a pipeline output. A list: these outputs
   * stay too (connected or not). Default: the unconnected outputs of pieces no other model reads
   * from (post stages do not count: a classifier keeps its other outputs when a stage reads one).
   */
  keep?: true | Endpoint[];
  /** Outputs removed from the pipeline's outputs. */
  drop?: Endpoint[];
}

export function formatEndpoint(e: Endpoint): string {
  return `${e.piece}.${e.name}`;
}
