/**
 * Errors a request can end in. Each carries the HTTP status it maps to, so every transport (node:http,
 * the Lambda adapter) answers the same `{"error": "..."}` body with the same code.
 */
import { EXIT, MlpackError, type ErrorDetails } from "../errors.js";

export class ServeError extends MlpackError {
  readonly status: number;
  /** Extra response headers (Retry-After on back-pressure, Allow on 405). */
  readonly headers: Record<string, string>;
  constructor(
    status: number,
    message: string,
    details: ErrorDetails & { headers?: Record<string, string> } = {},
  ) {
    super(message, status >= 500 ? EXIT.internal : EXIT.user, details);
    this.status = status;
    this.headers = details.headers ?? {};
  }
}

/** 400: malformed JSON, wrong shape, wrong datatype, unknown input or output name. */
export const badRequest = (message: string) => new ServeError(400, message);

/** 404: no such model, version or route. */
export const notFound = (message: string) => new ServeError(404, message);

/** 413: the body is bigger than --max-body. */
export const payloadTooLarge = (limit: number) =>
  new ServeError(413, `request body is over the ${limit}-byte limit (--max-body)`);

/** 503 with Retry-After: the queue is full or the server is draining; the client should retry later. */
export const unavailable = (message: string, retryAfterS = 1) =>
  new ServeError(503, message, { headers: { "retry-after": String(retryAfterS) } });

/**
 * onnxruntime failed on one request (alone, never a batch: its message may quote the values). The
 * request passed every check against the model's inputs (names, types, shapes), so its values are
 * what the model cannot take (an index out of range, a bad reshape size): 400. Running out of memory
 * is the server's problem, not the request's: 500.
 */
export function computeError(model: string, ortMessage: string): ServeError {
  return /alloc|out of memory/i.test(ortMessage)
    ? new ServeError(500, `onnxruntime failed: ${ortMessage}`)
    : badRequest(`model "${model}" cannot compute this request's input values: ${ortMessage}`);
}

export function isServeError(e: unknown): e is ServeError {
  return e instanceof ServeError;
}

/** Any failure as a ServeError: typed errors keep their status, everything else is a 500 (a bug). */
export function toServeError(e: unknown): ServeError {
  if (e instanceof ServeError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new ServeError(500, `internal error: ${msg}`, { cause: e });
}
